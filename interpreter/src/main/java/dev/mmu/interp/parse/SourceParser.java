package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.grammar.MmuParser;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.diag.Diagnostics;
import java.util.Optional;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;

/** Text to AST for one file. The parse tree stays inside this package. */
public final class SourceParser {

    private SourceParser() {
    }

    /**
     * Parses {@code text}, reporting syntax errors into {@code diagnostics}.
     *
     * @param fileName the name diagnostics show for this file
     * @return the AST, or empty when the file has syntax errors (the checker would only add noise)
     */
    public static Optional<SourceFile> parse(String fileName, String text, Diagnostics diagnostics) {
        Positions positions = new Positions(fileName);
        Diagnostics syntax = new Diagnostics();
        SyntaxErrorListener listener = new SyntaxErrorListener(positions, syntax);

        MmuLexer lexer = new MmuLexer(CharStreams.fromString(text, fileName));
        lexer.removeErrorListeners();
        MmuParser parser = new MmuParser(new CommonTokenStream(lexer));
        parser.removeErrorListeners();
        parser.addErrorListener(listener);
        MmuParser.FileContext tree = parser.file();

        syntax.sorted().forEach(diagnostics::add);
        if (syntax.hasErrors()) {
            return Optional.empty();
        }
        return Optional.of(new AstBuilder(positions, diagnostics).file(tree));
    }
}
