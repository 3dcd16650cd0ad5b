package dev.mmu.interp.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a trigger class: when a launcher selects it (Maven Surefire selects test classes only), the
 * mmu engine runs every .mmu file under these folders, relative to the working directory (the
 * module's folder under Surefire). Jupiter ignores the class, which has no tests of its own.
 *
 * <pre>
 * &#64;MmuScenarios("src/test/mmu")
 * class MmuScenariosTest {}
 * </pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface MmuScenarios {
    /** Folders (or single .mmu files) to run. */
    String[] value() default {"src/test/mmu"};
}
