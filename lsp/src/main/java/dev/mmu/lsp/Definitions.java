package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.antlr.v4.runtime.Token;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/**
 * Go to definition: a goto's label jumps to its {@code NAME:}, a variable to its {@code let}, parameter
 * or loop (as {@link Occurrences} resolves them); a path name to its {@code path NAME(} in this file or in a file it
 * imports (transitively, as the front end resolves them), else a built-in kernel path to its
 * prelude source in the kernel version the position pins; an import's string opens the file.
 */
final class Definitions {

    private Definitions() {
    }

    /** @param openText the text of an open document by file, so unsaved edits are seen */
    static List<Location> at(String uri, String text, int line, int character,
                             Function<Path, Optional<String>> openText) {
        Outline outline = new Outline(text);
        Optional<Token> token = outline.tokenAt(line, character);
        if (token.isEmpty()) {
            return List.of();
        }
        Path self = Path.of(Documents.fileName(uri)).toAbsolutePath().normalize();
        Token t = token.get();
        if (t.getType() == MmuLexer.STRING) {
            for (Outline.Declaration imp : outline.imports()) {
                if (imp.token() == t) {
                    return Outline.imported(self, imp).filter(Files::exists).map(target -> List.of(location(target, 0, 0, 0)))
                            .orElse(List.of());
                }
            }
            return List.of();
        }
        if (t.getType() != MmuLexer.IDENT) {
            return List.of();
        }
        // A name the AST resolves in this file (a goto's label, a local, a path by its scenario): its declaration.
        Optional<Occurrences.Symbol> resolved = Occurrences.of(uri, text).at(line, character)
                .filter(s -> s.declaration != null);
        if (resolved.isPresent()) {
            Range r = References.range(resolved.get().declaration, resolved.get().name);
            return List.of(new Location(self.toUri().toString(), r));
        }
        List<Location> found = find(t.getText(), self, outline, openText, new HashSet<>());
        // Not the user's: a kernel path of the prelude (the pinned version's source, in a cache folder).
        return found.isEmpty() ? PreludeFiles.definition(outline.kernelAt(uri, line, character), t.getText())
                .map(List::of).orElse(List.of()) : found;
    }

    /** Where a path name a file calls is declared: the file itself or a file it imports (transitively). */
    static Optional<Location> path(String name, Path file, String text, Function<Path, Optional<String>> openText) {
        return find(name, file, new Outline(text), openText, new HashSet<>()).stream().findFirst();
    }

    private static List<Location> find(String name, Path file, Outline outline,
                                       Function<Path, Optional<String>> openText, Set<Path> seen) {
        if (!seen.add(file)) {
            return List.of();
        }
        Outline.Declaration here = outline.path(name).orElse(null);
        if (here != null) {
            Token t = here.token();
            return List.of(location(file, t.getLine() - 1, t.getCharPositionInLine(), t.getText().length()));
        }
        List<Location> found = new ArrayList<>();
        for (Outline.Declaration imp : outline.imports()) {
            Optional<Path> imported = Outline.imported(file, imp);
            if (imported.isEmpty()) continue;
            Path target = imported.get();
            Optional<String> text = openText.apply(target).or(() -> read(target));
            text.ifPresent(s -> found.addAll(find(name, target, new Outline(s), openText, seen)));
            if (!found.isEmpty()) {
                break;
            }
        }
        return found;
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(dev.mmu.interp.check.Frontend.read(file)); // not /dev/zero, nor 4 MiB and more
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Location location(Path file, int line, int column, int length) {
        return new Location(file.toUri().toString(),
                new Range(new Position(line, column), new Position(line, column + length)));
    }
}
