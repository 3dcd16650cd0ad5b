package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.grammar.MmuParser;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.diag.Diagnostics;
import java.util.Optional;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/** Text to AST for one file. The parse tree stays inside this package. */
public final class SourceParser {

    private SourceParser() {
    }

    /**
     * The text as the lexer and every position in the front end see it: a leading UTF-8 byte order
     * mark dropped, and each line break ({@code \r\n}, a lone {@code \r}, {@code \n}) as {@code \n},
     * since the lexer counts lines by {@code \n} while editors also break at a lone {@code \r}.
     */
    public static String normalize(String text) {
        String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
        return t.indexOf('\r') < 0 ? t : t.replace("\r\n", "\n").replace('\r', '\n');
    }

    /**
     * Parses {@code text} (line breaks taken as {@link #normalize} takes them), reporting syntax
     * errors into {@code diagnostics}.
     *
     * @param fileName the name diagnostics show for this file
     * @return the AST, or empty when the file has syntax errors (the checker would only add noise)
     */
    public static Optional<SourceFile> parse(String fileName, String text, Diagnostics diagnostics) {
        text = normalize(text);
        Positions positions = new Positions(fileName);
        Diagnostics syntax = new Diagnostics();
        SyntaxErrorListener listener = new SyntaxErrorListener(positions, syntax);

        MmuLexer lexer = new MmuLexer(CharStreams.fromString(text, fileName));
        lexer.removeErrorListeners();
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        Optional<Token> deepToken = Nesting.tooDeepTokens(tokens.getTokens());
        if (deepToken.isPresent()) {
            diagnostics.error(positions.of(deepToken.get()), Nesting.MESSAGE);
            return Optional.empty();
        }
        MmuParser parser = new MmuParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(listener);
        MmuParser.FileContext tree = parser.file();

        syntax.sorted().forEach(diagnostics::add);
        if (syntax.hasErrors()) {
            return Optional.empty();
        }
        Optional<ParserRuleContext> deep = Nesting.tooDeepTree(tree);
        if (deep.isPresent()) {
            diagnostics.error(positions.of(deep.get().getStart()), Nesting.MESSAGE);
            return Optional.empty();
        }
        return Optional.of(new AstBuilder(positions, diagnostics).file(tree));
    }
}
