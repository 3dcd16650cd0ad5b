package dev.mmu.interp.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

    /** Bytes the probe of {@link #checkWritable} writes: a full file system fails it. */
    private static final int PROBE_BYTES = 4096;

    /**
     * Checks, before any work, that reports can be written into dir: it is (or can be made) a
     * folder, and a probe file of {@value #PROBE_BYTES} bytes can be written there and removed.
     * Finds a read-only or full --out before a long run rather than after it.
     */
    public static void checkWritable(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
            removeStaleTemps(dir);
            Path probe = Files.createTempFile(dir, ".mmu-probe." + ProcessHandle.current().pid() + ".", ".tmp");
            try {
                Files.write(probe, new byte[PROBE_BYTES]);
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException e) {
            throw new IOException("cannot write reports to " + dir + ": " + reason(e), e);
        }
    }

    /** The operating system's words ("Read-only file system", "No space left on device"). */
    private static String reason(IOException e) {
        if (e instanceof FileAlreadyExistsException) return "a file, not a folder, is in the way";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
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
        String name = target.getFileName().toString();
        String sum = sha256(bytes);
        try {
            // The manifest lists the old and the new content while the report is moved into
            // place: a kill at any point leaves a file the next run still knows as its own.
            Map<String, Set<String>> manifest = manifest(dir);
            manifest.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(sum);
            writeManifest(dir, manifest);
            place(target, bytes);
            manifest.put(name, Set.of(sum));
            writeManifest(dir, manifest);
        } catch (ReportExists e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + reason(e), e);
        }
    }

    private static void writeManifest(Path dir, Map<String, Set<String>> manifest) throws IOException {
        StringBuilder sb = new StringBuilder();
        manifest.forEach((name, sums) -> sums.forEach(sum -> sb.append(sum).append("  ").append(name).append('\n')));
        place(dir.resolve(MANIFEST), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Temp file, then an atomic move over the target (a reader sees the old or the new file). */
    private static void place(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + "." + ProcessHandle.current().pid() + ".", ".tmp");
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
        Set<String> sums = manifest(target.toAbsolutePath().getParent()).get(target.getFileName().toString());
        return sums != null && sums.contains(sha256(Files.readAllBytes(target)));
    }

    /** Each report's name and the SHA-256 of its content (two while it is being replaced). */
    private static Map<String, Set<String>> manifest(Path dir) throws IOException {
        Map<String, Set<String>> m = new TreeMap<>();
        Path f = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return m;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            int sep = line.indexOf("  ");
            if (sep > 0) m.computeIfAbsent(line.substring(sep + 2), n -> new LinkedHashSet<>()).add(line.substring(0, sep));
        }
        return m;
    }

    /** A temp file of ours: ".NAME.PID.RANDOM.tmp", NAME a report, the manifest or the probe. */
    private static final Pattern TEMP = Pattern.compile("\\.\\.?mmu-.*\\.(\\d{1,18})\\.\\d+\\.tmp");

    /** Removes the temp files a killed run left (its process is gone); a live run's are kept. */
    private static void removeStaleTemps(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = TEMP.matcher(f.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) Files.deleteIfExists(f);
            }
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
