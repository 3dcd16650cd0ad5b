package dev.mmu.lsp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The .mmu files a rename of a path that files import must see: the open documents (their unsaved
 * text) and the files under the workspace folders the client gave at initialize, or, given none,
 * the files beside the two files concerned. A file importing the path's file from elsewhere is not
 * found: the docs say so.
 */
final class Workspace {

    /** Folders deeper than this, and more files than that, are not searched (a rename answers at once). */
    private static final int DEPTH = 8;
    private static final int MAX_FILES = 5000;

    private final List<Path> roots;
    private final Function<Path, Optional<String>> openText;
    private final Supplier<Map<Path, String>> openFiles;

    /** @param openFiles the open documents' files and their URIs as the client spells them */
    Workspace(List<Path> roots, Function<Path, Optional<String>> openText, Supplier<Map<Path, String>> openFiles) {
        this.roots = List.copyOf(roots);
        this.openText = openText;
        this.openFiles = openFiles;
    }

    /** No folders, nothing open: the files on disk beside the ones a rename concerns. */
    static Workspace none() {
        return new Workspace(List.of(), f -> Optional.empty(), Map::of);
    }

    Function<Path, Optional<String>> openText() {
        return openText;
    }

    /** The URI of a file for an edit: the open document's as the client spells it, else the file's. */
    String uri(Path file) {
        String open = openFiles.get().get(file.toAbsolutePath().normalize());
        return open != null ? open : file.toUri().toString();
    }

    /** A file's text: the open document's, else the file's on disk if the front end would read it. */
    Optional<String> text(Path file) {
        return openText.apply(file).or(() -> {
            try {
                return Optional.of(dev.mmu.interp.check.Frontend.read(file)); // not /dev/zero, nor 4 MiB and more
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    /** The .mmu files to search, the open ones first; beside {@code near} when no folder was given. */
    Set<Path> files(Path... near) {
        Set<Path> out = new LinkedHashSet<>();
        openFiles.get().keySet().forEach(f -> out.add(f.toAbsolutePath().normalize()));
        List<Path> searched = new ArrayList<>();
        int depth = DEPTH;
        if (roots.isEmpty()) {
            for (Path p : near) if (p.getParent() != null) searched.add(p.getParent());
            depth = 1;
        } else {
            searched.addAll(roots);
        }
        for (Path root : searched) {
            try (Stream<Path> walk = Files.walk(root, depth)) {
                walk.filter(p -> p.getFileName() != null && p.getFileName().toString().endsWith(".mmu"))
                        .filter(p -> Stream.of(root.relativize(p).toString().split("[/\\\\]"))
                                        .noneMatch(part -> part.startsWith(".") || part.equals("target")
                                                || part.equals("node_modules")))
                        .filter(Files::isRegularFile)
                        .limit(MAX_FILES)
                        .forEach(p -> out.add(p.toAbsolutePath().normalize()));
            } catch (IOException | RuntimeException e) {
                // a folder that went away or cannot be read: search the others
            }
        }
        return out;
    }

    /** Whether {@code file} imports {@code target}, directly or through its imports (as the front end resolves them). */
    boolean imports(Path file, Path target, Function<Path, Optional<String>> textOf) {
        return imports(file, target, textOf, new HashSet<>());
    }

    private boolean imports(Path file, Path target, Function<Path, Optional<String>> textOf, Set<Path> seen) {
        if (!seen.add(file)) return false;
        Optional<String> text = textOf.apply(file);
        if (text.isEmpty()) return false;
        for (Outline.Declaration imp : new Outline(text.get()).imports()) {
            Optional<Path> next = Outline.imported(file, imp);
            if (next.isPresent() && (next.get().equals(target) || imports(next.get(), target, textOf, seen))) return true;
        }
        return false;
    }
}
