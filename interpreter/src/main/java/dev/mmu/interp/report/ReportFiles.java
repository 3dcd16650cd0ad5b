package dev.mmu.interp.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a report so that a reader never sees half of one and nothing of the user's is clobbered.
 * The text goes to a temp file beside the target and is then moved into place atomically. A file
 * that already exists is replaced only if an earlier run wrote it and nobody changed it since: the
 * folder's {@value #MANIFEST} lists each report this tool wrote with its SHA-256.
 */
public final class ReportFiles {
    /** Name and SHA-256 of every report written into the folder, one per line. */
    static final String MANIFEST = ".mmu-reports";

    private ReportFiles() {}

    /** Thrown when a report's file exists and this tool did not write it (or it changed since). */
    public static final class ReportExists extends IOException {
        public final Path file;

        public ReportExists(Path file) {
            super("refusing to overwrite " + file + ": mmu did not write it, or it changed since"
                    + " (remove it or choose another --out)");
            this.file = file;
        }
    }

    /** Checks, before any work, that the target is free or an unchanged report of an earlier run. */
    public static void checkFree(Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !ours(target)) throw new ReportExists(target);
    }

    public static void write(Path target, String content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        checkFree(target);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        place(target, bytes);
        Map<String, String> manifest = manifest(dir);
        manifest.put(target.getFileName().toString(), sha256(bytes));
        StringBuilder sb = new StringBuilder();
        manifest.forEach((name, sum) -> sb.append(sum).append("  ").append(name).append('\n'));
        place(dir.resolve(MANIFEST), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Temp file, then an atomic move over the target (a reader sees the old or the new file). */
    private static void place(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            // createTempFile makes it owner-only; a report is for reading (CI archives, browsers).
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // the platform's default permissions will do
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileAlreadyExistsException e) {
            throw new ReportExists(target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** True if the manifest beside target lists it with its present content. */
    private static boolean ours(Path target) throws IOException {
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) return false;
        String sum = manifest(target.toAbsolutePath().getParent()).get(target.getFileName().toString());
        return sum != null && sum.equals(sha256(Files.readAllBytes(target)));
    }

    private static Map<String, String> manifest(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        Path f = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return m;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            int sep = line.indexOf("  ");
            if (sep > 0) m.put(line.substring(sep + 2), line.substring(0, sep));
        }
        return m;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
