package dev.mmu.lsp;

import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.runtime.paths.Prelude;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/**
 * The prelude (latest's paths: 6.18's folder over 6.12's shared files) for go-to-definition and
 * hover. The files live in the runtime jar, which a client cannot open, so they are copied to a
 * cache folder named after their content
 * ({@code $TMPDIR/mmu-prelude-HASH/kernel/mmu.mmu}): a file URI stays valid for the jar that wrote
 * it, and another version of the jar writes its own folder.
 */
final class PreludeFiles {

    private PreludeFiles() {
    }

    /** Where a kernel path of the prelude is declared, as a file URI in the cache folder. */
    static Optional<Location> definition(String name) {
        PathDecl p = KernelPrelude.paths(Prelude.LATEST).get(name);
        if (p == null) {
            return Optional.empty();
        }
        Path file = extracted(p.pos().file());
        int line = p.name().pos().line() - 1;
        int column = p.name().pos().column() - 1;
        return Optional.of(new Location(file.toUri().toString(),
                new Range(new Position(line, column), new Position(line, column + p.name().name().length()))));
    }

    /** A prelude path's comment block, as hover text, and where it is; empty for other names. */
    static Optional<String> doc(String name) {
        return KernelPrelude.source(Prelude.LATEST, name).map(source -> {
            String comment = source.lines().takeWhile(l -> l.startsWith("#"))
                    .map(l -> l.replaceFirst("^# ?", "")).collect(Collectors.joining("\n"));
            PathDecl p = KernelPrelude.paths(Prelude.LATEST).get(name);
            String text = Prelude.versionOf(p.pos().file());
            return comment + "\n\nPrelude `" + p.pos().file() + "` (kernel " + Prelude.LATEST
                    + (text.equals(Prelude.LATEST) ? "" : ", which runs " + text + "'s text") + "): `mmu show " + name
                    + "` prints it; a path of this name replaces it.";
        });
    }

    private static Path extracted(String resource) {
        // Over every file latest reads: a changed version folder gets its own cache folder too.
        List<Prelude.Source> files = new ArrayList<>(Prelude.shared());
        files.addAll(Prelude.overrides(Prelude.LATEST));
        String hash = Integer.toHexString(files.stream().map(Prelude.Source::text).toList().hashCode());
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "mmu-prelude-" + hash).resolve(resource);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                Path tmp = Files.createTempFile(file.getParent(), "prelude", ".tmp");
                Files.writeString(tmp, KernelPrelude.text(resource), StandardCharsets.UTF_8);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the prelude to " + file, e);
        }
        return file;
    }
}
