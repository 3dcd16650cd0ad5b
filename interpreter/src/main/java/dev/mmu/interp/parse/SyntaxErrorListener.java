package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.grammar.MmuParser;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.diag.Suggestions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Reports ANTLR syntax errors as diagnostics in the user's terms ("expected '}' to close the
 * scenario opened at line 3") instead of ANTLR's ("missing '}' at '<EOF>'"), and keeps ANTLR
 * from printing to stderr. The parser's default strategy recovers, so one run lists several.
 */
final class SyntaxErrorListener extends BaseErrorListener {

    private static final int MAX_LISTED = 4; // longer expectation lists read better as a phrase

    /** Tokens that start a scenario member: seen inside a block, a '}' is missing before them. */
    private static final Set<Integer> STARTS_MEMBER = Set.of(MmuLexer.VM, MmuLexer.VCPUS, MmuLexer.MEMSLOT,
            MmuLexer.SETUP, MmuLexer.THREAD, MmuLexer.PATH, MmuLexer.EXPLORE, MmuLexer.EXPECT, MmuLexer.SCENARIO);

    private final Positions positions;
    private final Diagnostics diagnostics;

    SyntaxErrorListener(Positions positions, Diagnostics diagnostics) {
        this.positions = positions;
        this.diagnostics = diagnostics;
    }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int column,
                            String antlrMessage, RecognitionException e) {
        if (!(recognizer instanceof Parser parser) || !(offending instanceof Token token)) {
            return; // the lexer never fails: BAD_CHAR takes any character the parser then rejects
        }
        Pos at = where(parser, token);
        // After C pasted into a line (`if (need_resched() || rwlock_needbreak(&kvm->mmu_lock)) {`),
        // ANTLR's recovery reports every token it skips: that line's first error says what to write.
        if (at.file().equals(cFile) && at.line() == cLine) {
            return;
        }
        IntervalSet expected = e != null && e.getExpectedTokens() != null
                ? e.getExpectedTokens() : parser.getExpectedTokens();
        String message = message(parser.getContext(), token, expected, e);
        // A C body without braces, or a C 'for (...)', leaves the braces unbalanced: the '}' or
        // top-level error it causes further down is its echo, not a second mistake.
        if (braceEchoOwed && (message.startsWith("expected '}' to close") || message.startsWith("expected import, path"))) {
            braceEchoOwed = false;
            return;
        }
        String braces = cBraceHint(parser, token, expected);
        String hint = braces.isEmpty() ? cHint(token) : ": " + braces;
        if (hint.isEmpty()) hint = violationHint(parser, token);
        if (!hint.isEmpty() || token.getType() == MmuLexer.BAD_CHAR) {
            cFile = at.file();
            cLine = at.line();
        }
        braceEchoOwed |= !braces.isEmpty();
        diagnostics.error(at, message + hint);
    }

    /** The line of the last error at C syntax, whose later syntax errors are its echoes. */
    private String cFile;
    private int cLine = -1;
    /** Whether a C control statement was reported whose unbalanced braces will cause one more error. */
    private boolean braceEchoOwed;

    /**
     * C's control statements: a one-statement body without braces ('if (flush) kvm_flush_remote_tlbs(kvm);')
     * and 'for (...)', which this language writes 'if flush { ... }' and 'for sp in LIST { }'.
     */
    private static String cBraceHint(Parser parser, Token found, IntervalSet expected) {
        Token previous = before(parser, found);
        if (previous == null || found.getType() == Token.EOF || found.getLine() != previous.getLine()) return "";
        if (found.getType() == MmuLexer.LPAREN && previous.getType() == MmuLexer.FOR) {
            return "'for' takes no parentheses here: 'for sp in lpage_disallowed take 1 { }'";
        }
        if (expected.contains(MmuParser.LBRACE) && !expected.contains(MmuParser.RBRACE)
                && found.getType() != MmuLexer.LBRACE && previous.getType() == MmuLexer.RPAREN) {
            return "a body is always in braces here, even of one statement ('if flush { flush_remote_tlbs() }',"
                    + " 'while n > 0 { n = n - 1 }')";
        }
        return "";
    }

    /** The token before {@code t} on the parser's channel (after a failed prediction the stream is back at its start). */
    private static Token before(Parser parser, Token t) {
        var tokens = parser.getInputStream();
        for (int i = t.getTokenIndex() - 1; i >= 0; i--) {
            Token p = tokens.get(i);
            if (p.getChannel() == Token.DEFAULT_CHANNEL) return p;
        }
        return null;
    }

    /**
     * What C's pointer syntax and the kernel's yield check are here, when a line has them: the
     * language has no addresses (the VM and its locks are implicit), reads fields with '.', and
     * writes the yield check as 'if need_resched'.
     */
    private static String cHint(Token found) {
        List<String> hints = new ArrayList<>();
        if (found.getType() == MmuLexer.BAD_CHAR && found.getText().equals("&")) {
            hints.add("the language has no pointers: pass a value itself ('sp', not '&sp'; the VM and its locks"
                    + " are never arguments)");
        }
        if (found.getType() == MmuLexer.ARROW) {
            hints.add("C's '->' is '.' here ('sp.gfn', not 'sp->gfn')");
        }
        if (lineOf(found).contains("rwlock_needbreak")) {
            hints.add("the kernel's 'need_resched() || rwlock_needbreak(&kvm->mmu_lock)' is 'if need_resched { }' here");
        }
        return hints.isEmpty() ? "" : ": " + String.join("; ", hints);
    }

    /**
     * `expect violation terminates` / `expect violation assert`: 'violation' takes an invariant's
     * name; a livelock or a failed assert is expected with 'fails' (trial7: "expected a name,
     * found 'terminates'" did not say so).
     */
    private static String violationHint(Parser parser, Token found) {
        Token previous = parser.getInputStream().LT(-1);
        if (previous == null || previous.getType() != MmuLexer.VIOLATION) return "";
        if (found.getType() == MmuLexer.TERMINATES) {
            return ": 'violation' takes an invariant's name; a livelock is expected with 'expect fails terminates'";
        }
        if (found.getType() == MmuLexer.ASSERT) {
            return ": 'violation' takes an invariant's name; a failing assert is expected with 'expect fails assert'";
        }
        return "";
    }

    /** The source line a token is on, for the hints that recognise pasted kernel code. */
    private static String lineOf(Token t) {
        if (t.getInputStream() == null || t.getType() == Token.EOF) return "";
        String text = t.getInputStream().getText(org.antlr.v4.runtime.misc.Interval.of(0, t.getInputStream().size() - 1));
        int start = 0;
        for (int l = 1; l < t.getLine() && start >= 0; l++) {
            start = text.indexOf('\n', start) + 1;
            if (start == 0) return "";
        }
        int end = text.indexOf('\n', start);
        return end < 0 ? text.substring(start) : text.substring(start, end);
    }

    /** The offending token; at end of file, just after the last token, where the fix goes. */
    private Pos where(Parser parser, Token token) {
        Token previous = token.getType() == Token.EOF ? parser.getInputStream().LT(-1) : null;
        if (previous == null) {
            return positions.of(token);
        }
        Pos last = positions.of(previous);
        return new Pos(last.file(), last.line(), last.column() + last.length(), 1);
    }

    private String message(ParserRuleContext ctx, Token found, IntervalSet expected, RecognitionException e) {
        String foundText = describeFound(found);
        if (found.getType() == MmuLexer.BAD_CHAR) {
            return found.getText().equals("\"")
                    ? "unterminated string: a string ends with '\"' on the same line"
                    : "unexpected character " + (visible(found.getText()) ? foundText
                            : String.format("U+%04X (invisible)", found.getText().codePointAt(0)));
        }
        boolean atEnd = found.getType() == Token.EOF;
        if (expected.contains(MmuParser.RBRACE) && (atEnd || expected.size() == 1)) {
            return "expected '}' to close " + enclosing(ctx) + ", found " + foundText;
        }
        if (expected.size() == 1 && expected.contains(MmuParser.RPAREN)) {
            return "expected ')', found " + foundText;
        }
        if (STARTS_MEMBER.contains(found.getType()) && inBlock(ctx)) {
            return "expected '}' to close " + enclosing(ctx) + " before " + foundText;
        }
        String phrase = phraseFor(ctx);
        // After a failed prediction ANTLR's expected set is the decision's first tokens, not what fits here.
        if (phrase != null && (expected.size() > MAX_LISTED || e instanceof NoViableAltException)) {
            return "expected " + phrase + ", found " + foundText + keywordHint(found, expected);
        }
        return "expected " + list(expected) + ", found " + foundText + keywordHint(found, expected);
    }

    /** "; did you mean 'nx_huge_pages'?" when a name is a typo of an expected keyword. */
    private static String keywordHint(Token found, IntervalSet expected) {
        if (found.getType() != MmuLexer.IDENT) {
            return "";
        }
        List<String> keywords = new ArrayList<>();
        for (int type : expected.toList()) {
            String literal = type > 0 ? MmuLexer.VOCABULARY.getLiteralName(type) : null;
            if (literal != null && Character.isLetter(literal.charAt(1))) {
                keywords.add(literal.substring(1, literal.length() - 1));
            }
        }
        return Suggestions.hint(found.getText(), keywords);
    }

    private static boolean inBlock(ParserRuleContext ctx) {
        return ctx instanceof MmuParser.BlockContext || ctx instanceof MmuParser.StatementContext;
    }

    /** What an open brace belongs to: "the scenario opened at line 3". */
    private static String enclosing(ParserRuleContext ctx) {
        for (ParserRuleContext c = ctx; c != null; c = c.getParent()) {
            TerminalNode brace = c.getToken(MmuParser.LBRACE, 0);
            if (brace != null) {
                return what(c) + " opened at line " + brace.getSymbol().getLine();
            }
        }
        return "the block";
    }

    private static String what(ParserRuleContext c) {
        if (c instanceof MmuParser.ScenarioDeclContext) {
            return "the scenario";
        }
        if (c instanceof MmuParser.VmMemberContext) {
            return "the vm block";
        }
        if (c instanceof MmuParser.MemslotMemberContext) {
            return "the memslot";
        }
        if (c instanceof MmuParser.ExploreMemberContext) {
            return "the explore block";
        }
        ParserRuleContext owner = c.getParent();
        if (owner instanceof MmuParser.SetupMemberContext) {
            return "setup";
        }
        if (owner instanceof MmuParser.NamedThreadMemberContext || owner instanceof MmuParser.VcpuThreadMemberContext) {
            return "the thread";
        }
        if (owner instanceof MmuParser.PathDeclContext) {
            return "the path";
        }
        return "the block";
    }

    /** A phrase for the rule being parsed, used when many tokens would fit. */
    private static String phraseFor(ParserRuleContext ctx) {
        for (ParserRuleContext c = ctx; c != null; c = c.getParent()) {
            if (c instanceof MmuParser.ExprContext || c instanceof MmuParser.PrimaryContext
                    || c instanceof MmuParser.ArgContext) {
                return "an expression";
            }
            if (c instanceof MmuParser.ExpectationContext) {
                return "never, always, final, reachable, violation, terminates or max after 'expect'";
            }
            if (c instanceof MmuParser.BlockContext || c instanceof MmuParser.StatementContext) {
                return "a statement or '}'";
            }
            if (c instanceof MmuParser.VmMemberContext || c instanceof MmuParser.VmSettingContext) {
                return "a vm setting (mmu, nx_huge_pages, nx_recovery_ratio, eager_page_split, pml,"
                        + " flush_remote_tlbs_range, tdp_levels, preempt, kernel, quirk) or '}'";
            }
            if (c instanceof MmuParser.MemslotMemberContext || c instanceof MmuParser.MemslotSettingContext) {
                return "a memslot setting (gpa, size, backing, flags) or '}'";
            }
            if (c instanceof MmuParser.ExploreMemberContext || c instanceof MmuParser.ExploreSettingContext) {
                return "an explore setting (preemptions, strategy, runs, seed, max_states, time, symmetry) or '}'";
            }
            if (c instanceof MmuParser.ScenarioDeclContext || c instanceof MmuParser.ScenarioMemberContext) {
                return "vm, memslot, vcpus, setup, thread, path, explore, expect or '}'";
            }
            if (c instanceof MmuParser.FileContext || c instanceof MmuParser.TopItemContext) {
                return "import, path or scenario";
            }
        }
        return null;
    }

    private static String list(IntervalSet expected) {
        List<String> names = new ArrayList<>();
        for (int type : expected.toList()) {
            names.add(describeExpected(type));
        }
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    private static String describeExpected(int type) {
        return switch (type) {
            case Token.EOF -> "end of file";
            case MmuLexer.IDENT -> "a name";
            case MmuLexer.DECIMAL, MmuLexer.HEXADECIMAL -> "a number";
            case MmuLexer.BYTESIZE -> "a size";
            case MmuLexer.DURATION -> "a duration such as 30s";
            case MmuLexer.STRING -> "a string";
            case MmuLexer.TAG -> "a tag";
            default -> {
                String literal = MmuLexer.VOCABULARY.getLiteralName(type);
                yield literal != null ? literal : MmuLexer.VOCABULARY.getDisplayName(type);
            }
        };
    }

    /** A control, format (such as a byte order mark) or space character would print as nothing. */
    private static boolean visible(String text) {
        int c = text.codePointAt(0);
        int type = Character.getType(c);
        return !Character.isISOControl(c) && type != Character.FORMAT && !Character.isSpaceChar(c);
    }

    private static String describeFound(Token token) {
        return token.getType() == Token.EOF ? "end of file" : "'" + token.getText() + "'";
    }
}
