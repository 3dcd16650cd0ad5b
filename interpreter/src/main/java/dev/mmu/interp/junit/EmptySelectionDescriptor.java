package dev.mmu.interp.junit;

import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;

/**
 * A selection that names no .mmu file (a mistyped {@code @MmuScenarios} folder, a missing
 * directory): one failing test, so the build goes red instead of passing with nothing run.
 */
final class EmptySelectionDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "selection";

    final String why;

    EmptySelectionDescriptor(UniqueId parent, String selected, String why, TestSource source) {
        super(parent.append(SEGMENT, selected), "selects no .mmu file: " + selected, source);
        this.why = why;
    }

    @Override
    public Type getType() {
        return Type.TEST;
    }
}
