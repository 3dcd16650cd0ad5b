package dev.mmu.interp.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a report so that a reader never sees half of one and nothing is clobbered: the text goes
 * to a temp file beside the target, which is then hard-linked to the target's name (a link, unlike
 * a rename, fails if the name exists) and the temp name removed.
 */
public final class ReportFiles {
    private ReportFiles() {}

    /** Thrown when a report's file already exists: the run did not create it, so it is kept. */
    public static final class ReportExists extends IOException {
        public final Path file;

        public ReportExists(Path file) {
            super("refusing to overwrite " + file + ": it exists and this run did not create it"
                    + " (remove it or choose another --out)");
            this.file = file;
        }
    }

    /** Checks, before any work, that no target exists. */
    public static void checkFree(Path target) throws ReportExists {
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) throw new ReportExists(target);
    }

    public static void write(Path target, String content) throws IOException {
        checkFree(target);
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            // createTempFile makes it owner-only; a report is for reading (CI archives, browsers).
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // the platform's default permissions will do
            }
            try {
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException e) {
                throw new ReportExists(target);
            } catch (UnsupportedOperationException | IOException noLinks) {
                if (Files.exists(target)) throw new ReportExists(target);
                Files.move(tmp, target); // no REPLACE_EXISTING: still never clobbers
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
