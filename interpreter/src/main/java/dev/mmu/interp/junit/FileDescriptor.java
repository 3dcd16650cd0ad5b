package dev.mmu.interp.junit;

import java.nio.file.Path;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.FileSource;

/** A .mmu file: a container whose children are its scenarios. Named by its path, which Surefire uses as classname. */
final class FileDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "file";

    final Path file;

    FileDescriptor(UniqueId id, Path file, String name) {
        super(id, name, FileSource.from(file.toAbsolutePath().toFile()));
        this.file = file;
    }

    @Override
    public Type getType() {
        return Type.CONTAINER;
    }
}
