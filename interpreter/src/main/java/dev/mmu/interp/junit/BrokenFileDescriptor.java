package dev.mmu.interp.junit;

import dev.mmu.interp.diag.Diagnostic;
import java.nio.file.Path;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.FilePosition;
import org.junit.platform.engine.support.descriptor.FileSource;

/**
 * A file that does not compile: one test that fails with the diagnostics, so the build goes red
 * and says why, instead of discovery crashing or the file silently running nothing.
 */
final class BrokenFileDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "diagnostics";

    final String diagnostics;

    BrokenFileDescriptor(UniqueId id, String displayName, Path file, Diagnostic first, String diagnostics) {
        super(id, displayName, first == null ? FileSource.from(file.toAbsolutePath().toFile())
                : FileSource.from(file.toAbsolutePath().toFile(), FilePosition.from(first.pos().line(), first.pos().column())));
        this.diagnostics = diagnostics;
    }

    @Override
    public Type getType() {
        return Type.TEST;
    }
}
