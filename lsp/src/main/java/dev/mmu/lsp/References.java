package dev.mmu.lsp;

import dev.mmu.interp.ast.Pos;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.lsp4j.DocumentHighlight;
import org.eclipse.lsp4j.DocumentHighlightKind;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/**
 * textDocument/references and documentHighlight: every place in the document that writes the
 * name under the cursor as {@link Occurrences} resolves it (a local in its scope, a label in its
 * path, a path, a global or outline value); for a path declared elsewhere (the prelude, an import)
 * its calls here and, with the declaration, where go-to-definition lands; for a path files import,
 * its uses in its file and in the files importing it.
 */
final class References {

    private References() {
    }

    static List<Location> at(String uri, String text, int line, int character, boolean includeDeclaration,
                             Function<Path, Optional<String>> openText) {
        return at(uri, text, line, character, includeDeclaration, null, openText);
    }

    static List<Location> at(String uri, String text, int line, int character, boolean includeDeclaration,
                             Workspace workspace) {
        return at(uri, text, line, character, includeDeclaration, workspace, workspace.openText());
    }

    /**
     * With a workspace (null: this document alone), a path that files import (declared here, or
     * called here from an import) is looked for in its file and every file found importing it, as
     * a rename edits them ({@link Renames#uses}); a file that cannot be read or does not parse is
     * left out.
     */
    private static List<Location> at(String uri, String text, int line, int character, boolean includeDeclaration,
                                     Workspace workspace, Function<Path, Optional<String>> openText) {
        Occurrences occurrences = Occurrences.of(uri, text);
        Optional<Occurrences.Symbol> symbol = occurrences.at(line, character);
        if (symbol.isEmpty()) return List.of();
        Occurrences.Symbol s = symbol.get();
        Optional<Path> declaredIn = workspace == null || occurrences.broken().isPresent() ? Optional.empty()
                : Renames.importedFrom(uri, text, s, occurrences, workspace);
        if (declaredIn.isPresent()) return acrossFiles(uri, text, s.name, declaredIn.get(), includeDeclaration, workspace);
        List<Location> out = new ArrayList<>();
        if (s.kind == Occurrences.Kind.CALLEE && includeDeclaration) {
            out.addAll(Definitions.at(uri, text, line, character, openText));
        }
        for (Pos p : s.all()) {
            if (includeDeclaration || p != s.declaration) out.add(new Location(uri, range(p, s.name)));
        }
        return out;
    }

    private static List<Location> acrossFiles(String uri, String text, String name, Path declaredIn, boolean includeDeclaration,
                                              Workspace workspace) {
        List<Location> out = new ArrayList<>();
        for (Renames.FileUse u : Renames.uses(uri, text, declaredIn, workspace)) {
            if (u.occurrences() == null || u.occurrences().broken().isPresent()) continue;
            u.symbol(name, declaredIn, workspace).ifPresent(s -> {
                for (Pos p : s.all()) {
                    if (includeDeclaration || !(u.declares() && p == s.declaration)) out.add(new Location(u.uri(), range(p, s.name)));
                }
            });
        }
        return out;
    }

    /** The occurrences, a declaration or an assignment marked as a write, a use as a read. */
    static List<DocumentHighlight> highlights(String uri, String text, int line, int character) {
        return Occurrences.of(uri, text).at(line, character).map(s -> s.all().stream().map(p -> new DocumentHighlight(
                range(p, s.name), p == s.declaration || s.writes.contains(p)
                        ? DocumentHighlightKind.Write : DocumentHighlightKind.Read)).toList()).orElse(List.of());
    }

    /** The name's range at a position of the AST (1-based; the name's own length, not the node's). */
    static Range range(Pos p, String name) {
        return new Range(new Position(p.line() - 1, p.column() - 1), new Position(p.line() - 1, p.column() - 1 + name.length()));
    }
}
