package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Builtins.Kind;
import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.runtime.paths.Prelude;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.Vocabulary;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionItemKind;
import org.eclipse.lsp4j.CompletionItemLabelDetails;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.jsonrpc.messages.Either;

/**
 * Completion candidates for a position, narrowed by the tokens before it: after {@code stat.} the
 * stats, after {@code expect never} the invariants, after {@code expect max} the metrics, after
 * {@code vcpu} the vCPU numbers, after {@code preempt} the preemption models, after {@code kernel}
 * the prelude's versions, after {@code quirk} the quirks the model has and then on or off, after
 * {@code goto} the labels of the enclosing path;
 * elsewhere keywords, built-ins, and the file's paths and threads. Kernel paths come from the
 * prelude of the version the position pins ({@link PinnedKernel}), with that version's parameters.
 */
final class Completions {

    static final List<String> EXPECTATION_WORDS =
            List.of("never", "always", "final", "reachable", "violation", "terminates", "max", "fails");
    static final List<String> LOCK_NAMES = lockNames(null);

    /** The locks that have the mode: after `lock read`, mmu_lock and srcu; after `lock write`, all but srcu; null: all. */
    static List<String> lockNames(Stmt.LockMode mode) {
        return java.util.Arrays.stream(Stmt.LockName.values())
                .filter(l -> mode == null || l.onlyMode == null || l.onlyMode == mode).map(l -> l.kernelName).toList();
    }

    /** What may start a line in each kind of block (Mmu.g4's member, setting and statement rules). */
    static final List<String> FILE_WORDS = List.of("scenario", "path", "import", "global");
    static final List<String> SCENARIO_WORDS =
            List.of("vm", "memslot", "vcpus", "setup", "thread", "path", "explore", "expect");
    static final List<String> VM_WORDS =
            List.of("mmu", "nx_huge_pages", "nx_recovery_ratio", "eager_page_split", "pml", "flush_remote_tlbs_range",
                    "tdp_levels", "preempt", "kernel", "quirk");
    static final List<String> MEMSLOT_WORDS = List.of("gpa", "size", "backing", "flags", "gup_fast_may_fail");
    static final List<String> EXPLORE_WORDS =
            List.of("preemptions", "strategy", "runs", "seed", "max_states", "time", "symmetry");
    static final List<String> STATEMENT_WORDS = List.of("read", "write", "exec", "vcpu", "nested", "lock", "unlock",
            "yield", "if", "let", "while", "for", "repeat", "atomic", "choose", "assert", "break", "continue", "return", "goto");
    /** Words the checker refuses outside a path, outside a loop, and in the setup or atomic (BodyChecker). */
    static final java.util.Set<String> PATH_WORDS = java.util.Set.of("return", "goto");
    static final java.util.Set<String> LOOP_WORDS = java.util.Set.of("break", "continue");
    static final java.util.Set<String> CHOICE_WORDS = java.util.Set.of("choose");
    static final List<String> PREEMPT_MODELS = List.of("full", "voluntary", "none");
    /** What `kernel` takes: the prelude's versions, oldest first, then latest. */
    static final List<String> KERNEL_VERSIONS =
            java.util.stream.Stream.concat(Prelude.VERSIONS.stream(), java.util.stream.Stream.of("latest")).toList();
    /** The words that start a value (Mmu.g4's primary rule), besides calls and names. */
    static final List<String> VALUE_WORDS = List.of("true", "false", "need_resched", "vm", "stat");

    private Completions() {
    }

    static List<CompletionItem> at(String uri, String text, int line, int character) {
        Outline outline = new Outline(text);
        List<Token> before = outline.tokensBefore(line, character);
        PinnedKernel kernel = outline.kernelAt(uri, line, character); // whose prelude paths, with its parameters
        Block block = Block.around(before);
        StatementContext statement = StatementContext.after(before); // before the line's tokens are dropped
        // The word being typed is not context: `stat.nx_` completes like `stat.`.
        if (!before.isEmpty() && isWord(last(before, 0)) && touches(last(before, 0), line, character)) {
            before = before.subList(0, before.size() - 1);
        }
        List<CompletionItem> locals = block == Block.BODY ? locals(before) : List.of();
        // Every context is one line long: `lock write` then a newline is a statement, not `lock write mmu_lock`.
        if (!before.isEmpty() && last(before, 0).getLine() - 1 != line) {
            before = List.of();
        }
        Token typed = versionTyped(before, line, character);
        if (typed != null) {
            return versions(new Range(new Position(line, typed.getCharPositionInLine()),
                    new Position(line, character)));
        }
        int t0 = type(before, 0);
        int t1 = type(before, 1);
        if (t0 == MmuLexer.DOT && t1 == MmuLexer.IDENT && last(before, 1).getText().equals("stat")) {
            return builtins(Kind.STAT);
        }
        if (t0 == MmuLexer.NEVER || t0 == MmuLexer.VIOLATION) {
            // The checker refuses dirty_bit_lost where the kernel marks the page dirty at the fault.
            return builtins(Kind.INVARIANT).stream().filter(i -> !i.getLabel().equals("dirty_bit_lost")
                    || Prelude.setsPfnDirtyOnZap(kernel.version())).toList();
        }
        if (t0 == MmuLexer.MAX && t1 == MmuLexer.EXPECT) {
            return builtins(Kind.METRIC);
        }
        if (t0 == MmuLexer.EXPECT) {
            return keywords(EXPECTATION_WORDS);
        }
        if ((t0 == MmuLexer.READ || t0 == MmuLexer.WRITE) && t1 == MmuLexer.LOCK) {
            return keywords(lockNames(t0 == MmuLexer.READ ? Stmt.LockMode.READ : Stmt.LockMode.WRITE));
        }
        if (t0 == MmuLexer.UNLOCK) {
            return keywords(LOCK_NAMES);
        }
        if (t0 == MmuLexer.IDENT && t1 == MmuLexer.QUIRK) {
            return keywords(List.of("on", "off"));
        }
        if (t0 == MmuLexer.GOTO) {
            return outline.labelsAt(line, character).stream().map(d -> item(d.name(), CompletionItemKind.Reference,
                    "label, line " + d.token().getLine())).toList();
        }
        switch (t0) {
            case MmuLexer.BACKING -> {
                return values(List.of("4K", "2M", "1G"), "backing page size");
            }
            case MmuLexer.MMU -> {
                return keywords(List.of("tdp", "shadow", "both"));
            }
            case MmuLexer.NX_HUGE_PAGES, MmuLexer.EAGER_PAGE_SPLIT, MmuLexer.PML, MmuLexer.FLUSH_REMOTE_TLBS_RANGE,
                    MmuLexer.GUP_FAST_MAY_FAIL -> {
                return keywords(List.of("on", "off"));
            }
            case MmuLexer.PREEMPT -> {
                return keywords(PREEMPT_MODELS);
            }
            case MmuLexer.KERNEL -> {
                return versions(null);
            }
            case MmuLexer.QUIRK -> {
                return dev.mmu.interp.check.Machine.QUIRKS.stream().map(q -> item(q, CompletionItemKind.Value,
                        "KVM_X86_QUIRK_" + q.toUpperCase(java.util.Locale.ROOT))).toList();
            }
            case MmuLexer.STRATEGY -> {
                return keywords(List.of("exhaustive", "bfs", "random", "pct"));
            }
            case MmuLexer.FLAGS -> {
                return keywords(List.of("dirty_log", "readonly"));
            }
            default -> { }
        }
        // Right after `{` or `;` is the start of a member, setting or statement, as a line start is.
        if (t0 == MmuLexer.LBRACE || t0 == MmuLexer.SEMI) before = List.of();
        if (before.isEmpty() && block != Block.BODY) {
            return keywords(switch (block) {
                case FILE -> FILE_WORDS;
                case SCENARIO -> SCENARIO_WORDS;
                case VM -> VM_WORDS;
                case MEMSLOT -> MEMSLOT_WORDS;
                case EXPLORE -> EXPLORE_WORDS;
                case BODY -> List.<String>of();
            });
        }
        if (before.isEmpty()) {
            // A statement: accesses, locking and control flow, kernel paths, primitives, user paths.
            List<CompletionItem> items = new ArrayList<>(locals); // `flush = ...`
            items.addAll(keywords(statementWords(statement)));
            items.addAll(kernelPaths(kernel));
            items.addAll(preludeHelpers(kernel));
            items.addAll(primitives(kernel));
            outline.paths().values().forEach(d -> items.add(item(d.name(), CompletionItemKind.Method,
                    "path declared at line " + d.token().getLine())));
            return items;
        }
        if (block == Block.BODY && (inCondition(before) || inValue(before))) {
            // A condition or an argument takes values: the path's variables and parameters,
            // queries, globals, primitives and paths that return one; no statement.
            List<CompletionItem> items = new ArrayList<>(locals);
            // vm and stat are keywords and globals: offered once, as the globals they are.
            items.addAll(keywords(VALUE_WORDS.stream().filter(w -> !Builtins.namesOf(Kind.GLOBAL).contains(w)).toList()));
            items.addAll(builtins(Kind.QUERY));
            items.addAll(builtins(Kind.GLOBAL));
            primitives(kernel).stream()
                    .filter(i -> Builtins.lookup(i.getLabel()).orElseThrow().returns() != dev.mmu.interp.check.Type.VOID)
                    .forEach(items::add);
            preludeHelpers(kernel).stream()
                    .filter(i -> KernelPrelude.paths(kernel.version()).get(i.getLabel()).returns().isPresent())
                    .forEach(items::add);
            outline.paths().values().stream().filter(outline::returnsValue).forEach(d -> items.add(item(d.name(),
                    CompletionItemKind.Method, "path declared at line " + d.token().getLine())));
            return items;
        }
        if (t0 == MmuLexer.VCPU) {
            List<CompletionItem> items = new ArrayList<>();
            for (int i = 0; i < Math.max(1, outline.vcpus()); i++) {
                items.add(item(Integer.toString(i), CompletionItemKind.Value, "vCPU " + i));
            }
            return items;
        }
        List<CompletionItem> items = new ArrayList<>(keywords(allKeywords()));
        items.addAll(kernelPaths(kernel));
        items.addAll(primitives(kernel));
        for (Kind kind : List.of(Kind.QUERY, Kind.GLOBAL, Kind.INVARIANT, Kind.METRIC)) {
            items.addAll(builtins(kind));
        }
        outline.paths().values().forEach(d -> items.add(item(d.name(), CompletionItemKind.Method,
                "path declared at line " + d.token().getLine())));
        outline.threads().values().forEach(d -> items.add(item(d.name(), CompletionItemKind.Class,
                "thread declared at line " + d.token().getLine())));
        return items;
    }

    /** The statement keywords that the checker accepts where the statement starts. */
    static List<String> statementWords(StatementContext at) {
        return STATEMENT_WORDS.stream()
                .filter(w -> at.inPath() || !PATH_WORDS.contains(w))
                .filter(w -> at.inLoop() || !LOOP_WORDS.contains(w))
                .filter(w -> at.mayChoose() || !CHOICE_WORDS.contains(w)).toList();
    }

    /**
     * What {@code kernel} takes, each replacing the range typed so far if any: after {@code kernel 6.}
     * (the `.` triggers completion) "6.12" replaces "6.", where inserting it would write "6.6.12".
     */
    private static List<CompletionItem> versions(Range typed) {
        return KERNEL_VERSIONS.stream().map(v -> {
            CompletionItem item = item(v, CompletionItemKind.Value,
                    "kernel version of the prelude (latest is " + Prelude.LATEST + ")");
            if (typed != null) {
                item.setTextEdit(Either.forLeft(new TextEdit(typed, v)));
                item.setFilterText(v);
            }
            return item;
        }).toList();
    }

    /**
     * The first token of a version typed after {@code kernel} up to the cursor ({@code 6}, {@code 6.},
     * {@code 6.1}), or null: {@link PinnedKernel#kernelSettingEndingIn}'s look-back, the hover's too,
     * with the cursor at the end of the last token (past a space the version is written).
     */
    private static Token versionTyped(List<Token> line, int lineNo, int character) {
        if (line.isEmpty()) return null;
        Token last = line.get(line.size() - 1);
        if (last.getLine() - 1 != lineNo || last.getCharPositionInLine() + last.getText().length() != character) return null;
        int kernel = PinnedKernel.kernelSettingEndingIn(line);
        // A word (latest) is completed as the word being typed is, after `kernel` (versions(null)).
        return kernel >= 0 && line.get(kernel + 1).getType() == MmuLexer.DECIMAL ? line.get(kernel + 1) : null;
    }

    /**
     * Whether the line's tokens end where a value goes: after an assignment or an operator, or
     * inside a call's parentheses ({@code remote_flush_or_zap(}).
     */
    private static boolean inValue(List<Token> line) {
        int open = 0;
        for (int i = line.size() - 1; i >= 0; i--) {
            int type = line.get(i).getType();
            if (i == line.size() - 1 && VALUE_AFTER.contains(type)) return true;
            if (type == MmuLexer.RPAREN) open--;
            if (type == MmuLexer.LPAREN && ++open > 0) return true;
        }
        return false;
    }

    private static final java.util.Set<Integer> VALUE_AFTER = java.util.Set.of(MmuLexer.ASSIGN, MmuLexer.OR_ASSIGN,
            MmuLexer.COMMA, MmuLexer.DOTDOT, MmuLexer.TAKE, MmuLexer.NOT, MmuLexer.OR, MmuLexer.AND, MmuLexer.EQ,
            MmuLexer.NE, MmuLexer.LE, MmuLexer.GE, MmuLexer.LT, MmuLexer.GT, MmuLexer.PLUS, MmuLexer.MINUS,
            MmuLexer.STAR, MmuLexer.SLASH, MmuLexer.PERCENT, MmuLexer.PIPE);

    /**
     * The variables a statement at the end of these tokens may name: the parameters of the path
     * it is in, and each {@code let} and loop variable of its body before it (those of a closed
     * inner block too: the lexer does not scope them, and offering one more name costs nothing).
     */
    private static List<CompletionItem> locals(List<Token> before) {
        int body = Block.outermostBody(before);
        if (body < 0) return List.of();
        java.util.Map<String, CompletionItem> names = new java.util.LinkedHashMap<>();
        int start = body;
        while (start > 0 && before.get(start - 1).getType() != MmuLexer.RBRACE
                && before.get(start - 1).getType() != MmuLexer.LBRACE && before.get(start).getType() != MmuLexer.PATH) {
            start--;
        }
        if (before.get(start).getType() == MmuLexer.PATH) {
            for (int i = start + 2; i < body; i++) {
                Token t = before.get(i);
                int next = i + 1 < body ? before.get(i + 1).getType() : Token.INVALID_TYPE;
                int previous = before.get(i - 1).getType();
                if (t.getType() == MmuLexer.IDENT && (previous == MmuLexer.LPAREN || previous == MmuLexer.COMMA)
                        && (next == MmuLexer.COLON || next == MmuLexer.COMMA || next == MmuLexer.RPAREN)) {
                    names.putIfAbsent(t.getText(), item(t.getText(), CompletionItemKind.Variable,
                            "parameter, line " + t.getLine()));
                }
            }
        }
        for (int i = body + 1; i + 1 < before.size(); i++) {
            int type = before.get(i).getType();
            Token name = before.get(i + 1);
            if ((type == MmuLexer.LET || type == MmuLexer.FOR) && name.getType() == MmuLexer.IDENT) {
                names.putIfAbsent(name.getText(), item(name.getText(), CompletionItemKind.Variable,
                        (type == MmuLexer.LET ? "variable" : "loop variable") + ", line " + name.getLine()));
            }
        }
        return new ArrayList<>(names.values());
    }

    /** Whether the line's tokens end inside the condition of an if, a while or an assert (no block opened since). */
    private static boolean inCondition(List<Token> line) {
        for (int i = line.size() - 1; i >= 0; i--) {
            switch (line.get(i).getType()) {
                case MmuLexer.IF, MmuLexer.WHILE, MmuLexer.ASSERT -> {
                    return true;
                }
                case MmuLexer.LBRACE, MmuLexer.RBRACE -> {
                    return false;
                }
                default -> { }
            }
        }
        return false;
    }

    /**
     * The version's prelude paths that are not kernel paths of the language table (the helpers
     * they call), each with its parameters in that version and its comment block.
     */
    private static List<CompletionItem> preludeHelpers(PinnedKernel kernel) {
        List<CompletionItem> items = new ArrayList<>();
        for (String name : KernelPrelude.paths(kernel.version()).keySet()) {
            if (Builtins.lookup(name).isPresent()) continue;
            CompletionItem item = item(name, CompletionItemKind.Function, "kernel path (prelude)");
            withParameters(item, kernel);
            PreludeFiles.doc(kernel, name).ifPresent(item::setDocumentation);
            items.add(item);
        }
        return items;
    }

    /** The language table's kernel paths, each with its parameters in the version's prelude where it is prelude source. */
    private static List<CompletionItem> kernelPaths(PinnedKernel kernel) {
        List<CompletionItem> items = builtins(Kind.KERNEL_PATH);
        items.forEach(i -> withParameters(i, kernel));
        return items;
    }

    /** Shows a prelude path's parameters after its label ({@code (mmu_type: int)}) and the version they are from. */
    private static void withParameters(CompletionItem item, PinnedKernel kernel) {
        PreludeFiles.parameters(kernel.version(), item.getLabel()).ifPresent(p -> {
            CompletionItemLabelDetails details = new CompletionItemLabelDetails();
            details.setDetail(p);
            details.setDescription("kernel " + kernel.version());
            item.setLabelDetails(details);
        });
    }

    /** The primitives the version calls: of a renamed one (Prelude.PRIMITIVE_RENAMES) only its own name. */
    private static List<CompletionItem> primitives(PinnedKernel kernel) {
        return builtins(Kind.PRIMITIVE).stream()
                .filter(i -> Prelude.primitiveRenamedIn(kernel.version(), i.getLabel()).isEmpty()).toList();
    }

    private static List<CompletionItem> builtins(Kind kind) {
        List<CompletionItem> items = new ArrayList<>();
        for (String name : Builtins.namesOf(kind)) {
            Builtins.Builtin b = Builtins.lookup(name).orElseThrow();
            CompletionItem item = item(name, itemKind(kind), Hovers.kindLabel(kind) + ": " + b.kernelFunction());
            item.setDocumentation(b.doc());
            items.add(item);
        }
        return items;
    }

    private static CompletionItemKind itemKind(Kind kind) {
        return switch (kind) {
            case KERNEL_PATH, PRIMITIVE, QUERY -> CompletionItemKind.Function;
            case GLOBAL -> CompletionItemKind.Variable;
            case STAT -> CompletionItemKind.Field;
            case INVARIANT, METRIC -> CompletionItemKind.Constant;
        };
    }

    private static List<CompletionItem> values(List<String> words, String detail) {
        return words.stream().map(w -> item(w, CompletionItemKind.Value, detail)).toList();
    }

    private static List<CompletionItem> keywords(List<String> words) {
        return words.stream().map(w -> item(w, CompletionItemKind.Keyword, "keyword")).toList();
    }

    /** Every keyword token of Mmu.g4, from the lexer, so a new keyword completes without a change here. */
    static List<String> allKeywords() {
        Vocabulary v = MmuLexer.VOCABULARY;
        List<String> words = new ArrayList<>();
        for (int type = 1; type <= v.getMaxTokenType(); type++) {
            String literal = v.getLiteralName(type);
            if (literal != null && literal.matches("'[a-z_][a-z0-9_]*'")) {
                words.add(literal.substring(1, literal.length() - 1));
            }
        }
        return words;
    }

    private static CompletionItem item(String label, CompletionItemKind kind, String detail) {
        CompletionItem item = new CompletionItem(label);
        item.setKind(kind);
        item.setDetail(detail);
        return item;
    }

    private static boolean isWord(Token t) {
        return Character.isLetter(t.getText().charAt(0)) || t.getText().charAt(0) == '_';
    }

    private static boolean touches(Token t, int line, int character) {
        return t.getLine() - 1 == line && t.getCharPositionInLine() + t.getText().length() == character;
    }

    private static Token last(List<Token> tokens, int back) {
        return tokens.get(tokens.size() - 1 - back);
    }

    private static int type(List<Token> tokens, int back) {
        return tokens.size() > back ? last(tokens, back).getType() : Token.INVALID_TYPE;
    }
}
