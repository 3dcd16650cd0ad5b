package dev.mmu.interp.junit;

import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.ClassSource;

/**
 * The trigger class a launcher selected, as the container of the files it names. Its ClassSource
 * matters: Maven Surefire 3.6 keeps a selected class only if some discovered descriptor has a
 * class or method source naming it, so files hung directly under the engine would run nowhere.
 */
final class TriggerDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "class";

    TriggerDescriptor(UniqueId id, Class<?> trigger) {
        super(id, trigger.getSimpleName(), ClassSource.from(trigger));
    }

    @Override
    public Type getType() {
        return Type.CONTAINER;
    }
}
