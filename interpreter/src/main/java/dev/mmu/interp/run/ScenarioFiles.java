package dev.mmu.interp.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Finds .mmu files: a file as given, a directory searched below (build output and dot folders skipped). */
public final class ScenarioFiles {
    private ScenarioFiles() {}

    public static List<Path> find(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.exists(p)) throw new NoSuchFileException(p.toString(), null, "no such file or directory");
            if (!Files.isDirectory(p)) {
                out.add(p);
                continue;
            }
            try (Stream<Path> s = Files.walk(p)) {
                s.filter(f -> f.toString().endsWith(".mmu") && Files.isRegularFile(f) && !skipped(p, f))
                        .sorted().forEach(out::add);
            }
        }
        return out;
    }

    /** Folders no one keeps scenarios in: Maven's target/, node_modules/, hidden ones. */
    private static boolean skipped(Path root, Path file) {
        Path rel = root.relativize(file);
        for (int i = 0; i < rel.getNameCount() - 1; i++) {
            String n = rel.getName(i).toString();
            if (n.equals("target") || n.equals("node_modules") || (n.startsWith(".") && n.length() > 1 && !n.equals(".."))) {
                return true;
            }
        }
        return false;
    }
}
