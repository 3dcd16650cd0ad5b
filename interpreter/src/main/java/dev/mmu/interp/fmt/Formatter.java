package dev.mmu.interp.fmt;

import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.ExploreSetting;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.Import;
import dev.mmu.interp.ast.Memslot;
import dev.mmu.interp.ast.OutlineVar;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.interp.parse.SourceLayout;
import dev.mmu.interp.parse.SourceParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Canonical text of a parsed file, printed from the AST: two-space indent, one statement per
 * line, no ';' except between the statements of a one-line thread, members of a scenario in a
 * fixed order (vm, memslots, vcpus, paths, setup, threads, explore, expectations), at most one
 * blank line where the source had one. Comments are not in the AST: {@link CommentMap} ties
 * each to the item it precedes or ends the line of, and they move with that item.
 */
public final class Formatter {

    private static final int WIDTH = 100; // a thread fits on one line only within this

    private final SourceLayout layout;
    private final List<String> lines;
    private final ExprPrinter exprs;
    private final CommentMap comments;
    private final List<Line> out = new ArrayList<>();
    private final StringBuilder line = new StringBuilder();   // the line being built, without indent
    private final List<String> trailing = new ArrayList<>();  // comments that end the current line
    private int indent;
    private boolean blankWanted;

    private Formatter(Source source, CommentMap comments) {
        this.layout = source.layout;
        this.lines = source.lines;
        this.exprs = new ExprPrinter(lines);
        this.comments = comments;
    }

    /**
     * What the formatter needs of a file's text (its lines, braces and comments), computed once:
     * {@code mmu explain} prints many parts of one file, and must not lex it again for each.
     */
    public static final class Source {
        private final List<String> lines;
        private final SourceLayout layout;

        public Source(String text) {
            String normalized = SourceParser.normalize(text); // positions count line breaks as the parser does
            this.lines = normalized.lines().toList();
            this.layout = SourceLayout.of(normalized);
        }
    }

    /** Formats {@code file}, which was parsed from {@code text} without syntax errors. */
    public static String format(SourceFile file, String text) {
        Source source = new Source(text);
        CommentMap.Recorder recorder = new CommentMap.Recorder();
        new Formatter(source, recorder).file(file);         // first pass: where the anchors are
        Formatter printer = new Formatter(source, recorder.assign(source.layout.comments()));
        printer.file(file);
        return printer.render();
    }

    /** A path as {@code mmu fmt} prints it, without comments: for {@code mmu explain}. */
    public static String path(PathDecl path, Source source) {
        Formatter f = new Formatter(source, new CommentMap());
        f.path(path);
        return f.render();
    }

    /** A block's statements, one per line (compound ones over several), without comments. */
    public static String statements(Block block, Source source) {
        Formatter f = new Formatter(source, new CommentMap());
        block.statements().forEach(f::statement);
        return f.render();
    }

    /** An {@code expect} line as written. */
    public static String expectation(Expectation e, Source source) {
        return new Formatter(source, new CommentMap()).expectation(e);
    }

    /** An expression as written, with only the parentheses it needs. */
    public static String expr(Expr e, Source source) {
        return new ExprPrinter(source.lines).print(e);
    }

    /** The same without the source at hand (trace and report texts): numbers from 4K up in hex. */
    public static String expr(Expr e) {
        return new ExprPrinter(List.of()).print(e);
    }

    // ------------------------------------------------------------------ file

    private void file(SourceFile f) {
        boolean first = true;
        for (Import i : f.imports()) {
            item(i.pos());
            text("import " + quote(i.path()));
            end();
            first = false;
        }
        for (GlobalDecl g : f.globals()) {
            if (!first && g == f.globals().get(0)) {
                blankWanted = true;
            }
            item(g.pos());
            text("global " + g.name().name() + " = " + exprs.print(g.value()));
            end();
            first = false;
        }
        for (PathDecl p : f.paths()) {
            if (!first) {
                blankWanted = true;
            }
            path(p);
            first = false;
        }
        for (Scenario s : f.scenarios()) {
            if (!first) {
                blankWanted = true;
            }
            scenario(s);
            first = false;
        }
        for (SourceLayout.Comment c : comments.atEnd()) {
            comment(c);
        }
    }

    private void path(PathDecl p) {
        item(p.pos());
        String params = p.params().stream()
                .map(x -> x.type().isEmpty() ? x.name() : x.name() + ": " + x.type())
                .collect(Collectors.joining(", "));
        text("path " + p.name().name() + "(" + params + ") " + p.returns().map(t -> "-> " + t.name() + " ").orElse(""));
        block(p.body());
    }

    private void scenario(Scenario s) {
        item(s.pos());
        StringBuilder head = new StringBuilder();
        s.tags().forEach(t -> head.append('@').append(t).append(' '));
        head.append("scenario ").append(quote(s.name()));
        if (!s.outline().isEmpty()) {
            head.append(" for ");
            head.append(s.outline().stream().map(this::outlineVar).collect(Collectors.joining(", ")));
        }
        text(head + " {");
        end();
        indent++;
        members(s);
        indent--;
        close(scenarioBrace(s.pos()));
    }

    private String outlineVar(OutlineVar v) {
        return v.name().name() + " in [" + v.values().stream().map(exprs::print).collect(Collectors.joining(", ")) + "]";
    }

    private void members(Scenario s) {
        if (!s.vm().isEmpty()) {
            settings("vm", s.vm(), this::vmSetting);
        }
        for (Memslot m : s.memslots()) {
            memslot(m);
        }
        for (Expr v : s.vcpus()) {
            item(v.pos());
            text("vcpus " + exprs.print(v));
            end();
        }
        for (PathDecl p : s.paths()) {
            path(p);
        }
        for (Block setup : s.setups()) {
            item(setup.pos());
            oneLineOrBlock("setup ", setup);
        }
        for (ThreadDecl t : s.threads()) {
            thread(t);
        }
        if (!s.explore().isEmpty()) {
            settings("explore", s.explore(), this::exploreSetting);
        }
        for (Expectation e : s.expectations()) {
            item(e.pos());
            text(expectation(e));
            end();
        }
    }

    /**
     * {@code vm { }} or {@code explore { }}: one line for a lone setting without comments. The
     * AST does not record the keyword; its '{' is the last one before the first setting, and the
     * first setting's leading comments go above or below {@code vm {} as they were in the source.
     */
    private <T> void settings(String keyword, List<T> settings, Function<T, String> print) {
        List<Pos> positions = settings.stream().map(Formatter::posOf).toList();
        long first = key(positions.get(0));
        boolean oneLine = settings.size() == 1 && !comments.has(first);
        long brace = layout.openingBefore(first);
        int keywordLine = brace < 0 ? positions.get(0).line() : (int) (brace >>> 32);
        List<SourceLayout.Comment> lead = comments.leading(first);
        List<SourceLayout.Comment> above = lead.stream().filter(c -> c.line() < keywordLine).toList();
        List<SourceLayout.Comment> inside = lead.stream().filter(c -> c.line() >= keywordLine).toList();
        if (blankAbove(above.isEmpty() ? keywordLine : above.get(0).line())) {
            blankWanted = true;
        }
        above.forEach(this::comment);
        if (!above.isEmpty() && blankAbove(keywordLine)) {
            blankWanted = true;
        }
        if (oneLine) {
            text(keyword + " { " + print.apply(settings.get(0)) + " }");
            end();
            return;
        }
        text(keyword + " {");
        end();
        indent++;
        inside.forEach(this::comment);
        if (!inside.isEmpty() && blankAbove(positions.get(0).line())) {
            blankWanted = true;
        }
        trailing.addAll(comments.trailing(first));
        text(print.apply(settings.get(0)));
        end();
        for (int i = 1; i < settings.size(); i++) {
            item(positions.get(i));
            text(print.apply(settings.get(i)));
            end();
        }
        indent--;
        text("}");
        end();
    }

    private static Pos posOf(Object setting) {
        return setting instanceof VmSetting v ? v.pos() : ((ExploreSetting) setting).pos();
    }

    private String vmSetting(VmSetting s) {
        if (s instanceof VmSetting.Mmu m) {
            return "mmu " + m.flavour().name().toLowerCase(Locale.ROOT);
        }
        if (s instanceof VmSetting.NxHugePages n) {
            return "nx_huge_pages " + (n.on() ? "on" : "off");
        }
        if (s instanceof VmSetting.NxRecoveryRatio r) {
            return "nx_recovery_ratio " + exprs.print(r.ratio());
        }
        if (s instanceof VmSetting.EagerPageSplit e) {
            return "eager_page_split " + (e.on() ? "on" : "off");
        }
        if (s instanceof VmSetting.Pml p) {
            return "pml " + (p.on() ? "on" : "off");
        }
        if (s instanceof VmSetting.FlushRemoteTlbsRange f) {
            return "flush_remote_tlbs_range " + (f.on() ? "on" : "off");
        }
        if (s instanceof VmSetting.Preempt p) {
            return "preempt " + p.model().name().toLowerCase(Locale.ROOT);
        }
        if (s instanceof VmSetting.Quirk q) {
            return "quirk " + q.name().name() + " " + (q.on() ? "on" : "off");
        }
        if (s instanceof VmSetting.Kernel k) {
            return "kernel " + k.version();
        }
        return "tdp_levels " + exprs.print(((VmSetting.TdpLevels) s).levels());
    }

    /**
     * {@code memslot 0 { gpa 0x0 size 4M backing 2M }} on one line, or one setting per line when
     * comments sit inside the braces (each setting's value is then an anchor for them).
     */
    private void memslot(Memslot m) {
        item(m.pos());
        long open = firstBraceAfter(m.pos());
        long close = layout.closeOf(open);
        List<Expr> values = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        m.gpa().ifPresent(e -> {
            values.add(e);
            parts.add("gpa " + exprs.print(e));
        });
        m.size().ifPresent(e -> {
            values.add(e);
            parts.add("size " + exprs.print(e));
        });
        m.backing().ifPresent(e -> {
            values.add(e);
            parts.add("backing " + exprs.print(e));
        });
        if (!m.flags().isEmpty()) {
            parts.add("flags " + m.flags().stream().map(f -> f.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", ")));
        }
        m.gupFastMayFail().ifPresent(g -> parts.add("gup_fast_may_fail " + (g.on() ? "on" : "off")));
        String head = "memslot " + exprs.print(m.id());
        if (!comments.within(open, close)) {
            text(parts.isEmpty() ? head + " {}" : head + " { " + String.join(" ", parts) + " }");
            values.forEach(v -> comments.visit(key(v.pos())));
            trailing.addAll(comments.trailing(close));
            end();
            return;
        }
        text(head + " {");
        end();
        indent++;
        for (int i = 0; i < parts.size(); i++) {
            if (i < values.size()) {
                item(values.get(i).pos());
            }
            text(parts.get(i));
            end();
        }
        indent--;
        close(close);
    }

    private long firstBraceAfter(Pos pos) {
        return layout.openingAfter(key(pos));
    }

    private String exploreSetting(ExploreSetting s) {
        if (s instanceof ExploreSetting.Preemptions p) {
            return "preemptions <= " + exprs.print(p.bound());
        }
        if (s instanceof ExploreSetting.Strategy k) {
            return "strategy " + k.kind().name().toLowerCase(Locale.ROOT);
        }
        if (s instanceof ExploreSetting.Runs r) {
            return "runs " + exprs.print(r.count());
        }
        if (s instanceof ExploreSetting.Seed seed) {
            return "seed " + exprs.print(seed.seed());
        }
        if (s instanceof ExploreSetting.MaxStates m) {
            return "max_states " + exprs.print(m.count());
        }
        if (s instanceof ExploreSetting.Time t) {
            return "time " + duration(t.millis());
        }
        return "symmetry vcpus";
    }

    /** {@code 90s}, {@code 2m}, {@code 1500ms}: the largest unit that is exact. */
    public static String duration(long millis) {
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    private String expectation(Expectation e) {
        if (e instanceof Expectation.Fails f) {
            return "expect fails " + expectation(f.expected()).substring("expect ".length());
        }
        if (e instanceof Expectation.AssertFails) {
            return "expect fails assert";
        }
        if (e instanceof Expectation.Never n) {
            return "expect never " + n.invariant().name();
        }
        if (e instanceof Expectation.Always a) {
            return "expect always " + exprs.print(a.cond());
        }
        if (e instanceof Expectation.Final f) {
            return "expect final " + exprs.print(f.cond());
        }
        if (e instanceof Expectation.Reachable r) {
            return "expect reachable " + exprs.print(r.cond());
        }
        if (e instanceof Expectation.Violation v) {
            return "expect violation " + v.invariant().name();
        }
        if (e instanceof Expectation.Terminates) {
            return "expect terminates";
        }
        Expectation.Max m = (Expectation.Max) e;
        return "expect max " + m.metric().name() + " <= " + exprs.print(m.bound());
    }

    // ------------------------------------------------------------------ threads and statements

    private void thread(ThreadDecl t) {
        item(t.pos());
        oneLineOrBlock(t.vcpu().map(v -> "thread vcpu " + exprs.print(v)).orElse("thread " + t.name()) + " ", t.body());
    }

    /**
     * A thread or setup body stays on one line ({@code thread host { a; b }}) when the author wrote
     * it on one line, it holds no compound statement and no comment, and it fits.
     */
    private void oneLineOrBlock(String head, Block body) {
        long open = key(body.pos());
        long close = layout.closeOf(open);
        List<String> simple = new ArrayList<>();
        for (Stmt s : body.statements()) {
            simple(s).ifPresent(simple::add);
        }
        String oneLine = head + (simple.isEmpty() ? "{}" : "{ " + String.join("; ", simple) + " }");
        boolean fits = (open >>> 32) == (close >>> 32)
                && simple.size() == body.statements().size()
                && !comments.within(open, close)
                && indent * 2 + oneLine.length() <= WIDTH;
        if (!fits) {
            text(head);
            block(body);
            return;
        }
        text(oneLine);
        body.statements().forEach(s -> comments.visit(key(s.pos())));
        trailing.addAll(comments.trailing(close));
        end();
    }

    /** Prints {@code {}, the statements indented, and the closing brace with its comments. */
    private void block(Block b) {
        block(b, true);
    }

    /** With {@code endLine} false the '}' line stays open for an {@code else}. */
    private void block(Block b, boolean endLine) {
        text("{");
        end();
        indent++;
        for (Stmt s : b.statements()) {
            statement(s);
        }
        indent--;
        close(layout.closeOf(key(b.pos())), endLine);
    }

    private void statement(Stmt s) {
        item(s.pos());
        Optional<String> simple = simple(s);
        if (s instanceof Stmt.Label) {
            indent--; // a label stands out one level, as the kernel's at column 0 of a function
            text(simple.get());
            end();
            indent++;
            return;
        }
        if (simple.isPresent()) {
            text(simple.get());
            end();
            return;
        }
        if (s instanceof Stmt.IfNeedResched || s instanceof Stmt.If) {
            ifStatement(s);
        } else if (s instanceof Stmt.While w) {
            text("while " + exprs.print(w.cond()) + " ");
            block(w.body());
        } else if (s instanceof Stmt.ForLpageDisallowed f) {
            text("for " + f.var().name() + " in " + (f.list() == null ? "lpage_disallowed" : exprs.print(f.list()))
                    + " take " + exprs.print(f.take()) + " ");
            block(f.body());
        } else if (s instanceof Stmt.ForList f) {
            text("for " + f.var().name() + " in " + f.list().name() + " ");
            block(f.body());
        } else if (s instanceof Stmt.ForTdpPte f && f.leafOnly()) {
            text("for " + f.var().name() + " in " + Stmt.ForTdpPte.LEAF_WALK + "(" + exprs.print(f.root()) + ", "
                    + exprs.print(f.range().start()) + ", " + exprs.print(f.range().end()) + ") ");
            block(f.body());
        } else if (s instanceof Stmt.ForTdpPte f) {
            text("for " + f.var().name() + " in tdp_pte(" + exprs.print(f.root()) + ", " + exprs.print(f.range()) + ") ");
            block(f.body());
        } else if (s instanceof Stmt.ForFaultWalk f) {
            text("for " + f.var().name() + " in " + f.walk().name() + "(" + exprs.print(f.fault()) + ") ");
            block(f.body());
        } else if (s instanceof Stmt.Repeat r) {
            text("repeat " + exprs.print(r.count()) + " ");
            block(r.body());
        } else if (s instanceof Stmt.Atomic a) {
            text("atomic ");
            block(a.body());
        } else if (s instanceof Stmt.Choose c) {
            text("choose ");
            for (int i = 0; i < c.branches().size(); i++) {
                if (i > 0) {
                    text(" or ");
                }
                block(c.branches().get(i), i == c.branches().size() - 1);
            }
        }
    }

    private void ifStatement(Stmt s) {
        if (s instanceof Stmt.IfNeedResched n) {
            text("if need_resched ");
            block(n.then(), n.orElse().isEmpty());
            n.orElse().ifPresent(this::elseBlock);
            return;
        }
        Stmt.If i = (Stmt.If) s;
        text("if " + exprs.print(i.cond()) + " ");
        block(i.then(), i.orElse().isEmpty());
        i.orElse().ifPresent(this::elseBlock);
    }

    /** {@code else if} when the parser made the else block of a nested if (it shares the if's position). */
    private void elseBlock(Block orElse) {
        Stmt nested = orElse.statements().size() == 1 ? orElse.statements().get(0) : null;
        if ((nested instanceof Stmt.If || nested instanceof Stmt.IfNeedResched) && nested.pos().equals(orElse.pos())) {
            text(" else ");
            trailing.addAll(comments.leading(key(nested.pos())).stream().map(SourceLayout.Comment::text).toList());
            trailing.addAll(comments.trailing(key(nested.pos())));
            ifStatement(nested);
            return;
        }
        text(" else ");
        block(orElse);
    }

    /** A statement without a block, as one line; empty for compound statements. */
    private Optional<String> simple(Stmt s) {
        String text = null;
        if (s instanceof Stmt.Access a) {
            text = a.vcpu().map(v -> "vcpu " + exprs.print(v) + " ").orElse("") + (a.nested() ? "nested " : "")
                    + a.kind().name().toLowerCase(Locale.ROOT) + " " + exprs.print(a.gpa());
        } else if (s instanceof Stmt.Lock l) {
            text = "lock " + l.mode().name().toLowerCase(Locale.ROOT) + lockName(l.lock());
        } else if (s instanceof Stmt.Unlock u) {
            text = "unlock" + lockName(u.lock());
        } else if (s instanceof Stmt.Yield) {
            text = "yield";
        } else if (s instanceof Stmt.Let l) {
            text = "let " + l.name().name() + " = " + exprs.print(l.value());
        } else if (s instanceof Stmt.Assign a) {
            text = a.name().name() + (a.orAssign() ? " |= " : " = ") + exprs.print(a.value());
        } else if (s instanceof Stmt.Assert a) {
            text = "assert " + exprs.print(a.cond());
        } else if (s instanceof Stmt.Break br) {
            text = br.word();
        } else if (s instanceof Stmt.Return r) {
            text = "return" + r.value().map(v -> " " + exprs.print(v)).orElse("");
        } else if (s instanceof Stmt.Goto g) {
            text = "goto " + g.label().name();
        } else if (s instanceof Stmt.Label l) {
            text = l.name().name() + ":";
        } else if (s instanceof Stmt.CallStmt c) {
            text = c.command()
                    ? c.call().name().name() + c.call().args().stream().map(a -> " " + exprs.print(a.value()))
                            .collect(Collectors.joining())
                    : exprs.print(c.call());
        }
        return Optional.ofNullable(text);
    }

    /** The default lock, mmu_lock, is not written. */
    private static String lockName(Stmt.LockName lock) {
        return lock == Stmt.LockName.MMU_LOCK ? "" : " " + lock.kernelName;
    }

    // ------------------------------------------------------------------ layout and comments

    /** Starts an item at {@code pos}: the comments before it, a blank line if the source had one. */
    private void item(Pos pos) {
        List<SourceLayout.Comment> before = comments.leading(key(pos));
        int top = before.isEmpty() ? pos.line() : before.get(0).line();
        if (blankAbove(top)) {
            blankWanted = true;
        }
        for (SourceLayout.Comment c : before) {
            comment(c);
        }
        if (!before.isEmpty() && blankAbove(pos.line())) {
            blankWanted = true;
        }
        trailing.addAll(comments.trailing(key(pos)));
    }

    private void comment(SourceLayout.Comment c) {
        if (blankAbove(c.line())) {
            blankWanted = true;
        }
        if (line.length() > 0) {
            trailing.add(c.text());
            return;
        }
        text(c.text());
        end();
    }

    /** The closing brace at {@code key}, after the comments that precede it inside the block. */
    private void close(long key) {
        close(key, true);
    }

    private void close(long key, boolean endLine) {
        indent++;
        for (SourceLayout.Comment c : comments.leading(key)) {
            comment(c);
        }
        indent--;
        blankWanted = false;
        text("}");
        trailing.addAll(comments.trailing(key));
        if (endLine) {
            end();
        }
    }

    private void text(String s) {
        line.append(s);
    }

    /** An output line: code, and the comments that end it ("" if none). */
    private record Line(String code, String comment) {
    }

    private void end() {
        String last = out.isEmpty() ? "" : out.get(out.size() - 1).code();
        if (blankWanted && !out.isEmpty() && !last.isBlank() && !last.endsWith("{")) {
            out.add(new Line("", ""));
        }
        blankWanted = false;
        out.add(new Line("  ".repeat(indent) + line, String.join("  ", trailing)));
        trailing.clear();
        line.setLength(0);
    }

    /** Lines joined; trailing comments line up within each run of lines between blank lines, as gofmt does. */
    private String render() {
        StringBuilder text = new StringBuilder();
        int runStart = 0;
        for (int i = 0; i <= out.size(); i++) {
            if (i < out.size() && !out.get(i).code().isEmpty()) {
                continue;
            }
            int column = 0;
            for (int j = runStart; j < i; j++) {
                if (!out.get(j).comment().isEmpty()) {
                    column = Math.max(column, out.get(j).code().length() + 2);
                }
            }
            for (int j = runStart; j <= i && j < out.size(); j++) {
                Line l = out.get(j);
                text.append(l.code());
                if (!l.comment().isEmpty()) {
                    text.append(" ".repeat(column - l.code().length())).append(l.comment());
                }
                text.append('\n');
            }
            runStart = i + 1;
        }
        return text.toString();
    }

    private boolean blankAbove(int line) {
        return line >= 2 && line - 2 < lines.size() && lines.get(line - 2).isBlank();
    }

    /** The scenario's '{' is the first one after its start (tags, name and outline have none). */
    private long scenarioBrace(Pos scenario) {
        return layout.closeOf(firstBraceAfter(scenario));
    }

    private static long key(Pos pos) {
        return SourceLayout.key(pos.line(), pos.column());
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }
}
