package dev.mmu.lsp;

import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.Ident;
import dev.mmu.interp.ast.OutlineVar;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.CDeclarations;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceParser;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every name of a document resolved to what it names, from the parsed AST: a local (a {@code let},
 * a parameter, a loop variable) by the checker's scopes (BodyChecker: a block, a loop and a path
 * each open one; a {@code let} binds from the next statement to its block's end, a later one of
 * the same name hides it), a label by its path (Gotos: one per name in a path), a path by the
 * scenario's paths before the file's, then outline values and globals; a pasted C declaration
 * {@code bool flush = false} as the {@code let} the checker reads it as.
 *
 * <p>A document that does not parse (a line being typed) is read as {@link Recovery} keeps it, the
 * lines with syntax errors blanked, so every position is one of the document as it is; failing that,
 * from the last text of the document that parsed, answering only for the lines before and after the
 * lines changed since (the same text, moved by the lines added or removed). Either way a name
 * written on a line left out (blanked or changed) is not answered for, as that line may declare,
 * hide or use it, nor is a local or a label when such a line holds a brace (a block's edge may have
 * moved); and {@link #broken} says why a rename must wait.
 */
final class Occurrences {

    enum Kind { LOCAL, LABEL, PATH, CALLEE, GLOBAL, OUTLINE }

    /**
     * A name and where it is written: {@code declaration} in this file (null for a callee, declared
     * in the prelude or an import), {@code uses} (with the declaration, the places a rename edits);
     * {@code visible}, the other names of its kind in scope at one of them, which a rename must not take.
     */
    static final class Symbol {
        final Kind kind;
        final String name;
        Pos declaration; // moved, or null when left out, for an answer from the last text that parsed
        final List<Pos> uses = new ArrayList<>();
        final List<Pos> writes = new ArrayList<>(); // of a local or global: the `x = ...` among the uses
        final Set<String> visible = new LinkedHashSet<>();

        Symbol(Kind kind, String name, Pos declaration) {
            this.kind = kind;
            this.name = name;
            this.declaration = declaration;
        }

        /** The declaration (if in this file) then the uses, in source order. */
        List<Pos> all() {
            List<Pos> all = new ArrayList<>();
            if (declaration != null) all.add(declaration);
            all.addAll(uses);
            all.sort(java.util.Comparator.comparingInt(Pos::line).thenComparingInt(Pos::column));
            return all;
        }
    }

    private final List<Symbol> symbols = new ArrayList<>();
    private final Map<String, Symbol> callees = new HashMap<>();
    private final Map<String, Symbol> globals = new LinkedHashMap<>();
    private final Map<String, Symbol> filePaths = new LinkedHashMap<>();
    /** Every path name a rename of a path must not take: each scope's paths are the file's and a scenario's. */
    private final Set<String> allPaths = new LinkedHashSet<>();

    // the walk's state
    private Map<String, Symbol> scenarioPaths = Map.of();
    private Map<String, Symbol> outline = Map.of();
    private Map<String, Symbol> labels = Map.of();
    private final Deque<Map<String, Symbol>> scopes = new ArrayDeque<>();

    /** The last text of each document that parsed, by URI: read while it does not. */
    private static final Map<String, String> LAST_PARSED = new ConcurrentHashMap<>();

    /** Why this document does not parse as it is (its first syntax error), or null. */
    private String broken;

    private Occurrences() {
    }

    static Occurrences of(String uri, String text) {
        String name = Documents.fileName(uri);
        Occurrences o = new Occurrences();
        Optional<Recovery.Kept> kept = Recovery.of(name, text);
        if (kept.isPresent() && kept.get().parsedAsIs()) {
            LAST_PARSED.put(uri, text);
            o.walk(kept.get().ast());
            return o;
        }
        Diagnostics syntax = new Diagnostics();
        SourceParser.parse(name, text, syntax);
        o.broken = syntax.sorted().stream().findFirst().map(d -> "line " + d.pos().line() + ": " + d.message())
                .orElse("a syntax error");
        String[] now = lines(text);
        if (kept.isPresent()) {
            o.walk(kept.get().ast());
            o.withhold(kept.get().blanked().stream().map(l -> now[l]).toList());
            return o;
        }
        String last = LAST_PARSED.get(uri);
        if (last == null) return o;
        Optional<SourceFile> ast = SourceParser.parse(name, last, new Diagnostics());
        if (ast.isEmpty()) return o;
        String[] before = lines(last);
        int same = 0; // lines alike from the start, then from the end
        while (same < before.length && same < now.length && before[same].equals(now[same])) same++;
        int sameEnd = 0;
        while (sameEnd < before.length - same && sameEnd < now.length - same
                && before[before.length - 1 - sameEnd].equals(now[now.length - 1 - sameEnd])) sameEnd++;
        o.walk(ast.get());
        List<String> changed = new ArrayList<>(List.of(before).subList(same, before.length - sameEnd));
        changed.addAll(List.of(now).subList(same, now.length - sameEnd));
        o.withhold(changed);
        int first = same;
        int firstAfter = before.length - sameEnd;
        int shift = now.length - before.length;
        o.move(line -> line < first ? line : line >= firstAfter ? line + shift : -1);
        return o;
    }

    /** Notes a document's text if it parses, so that requests while it does not can read it. */
    static void remember(String uri, String text) {
        if (SourceParser.parse(Documents.fileName(uri), text, new Diagnostics()).isPresent()) LAST_PARSED.put(uri, text);
    }

    static void forget(String uri) {
        LAST_PARSED.remove(uri);
    }

    /** Why the document does not parse as it is (line and syntax error), if it does not. */
    Optional<String> broken() {
        return Optional.ofNullable(broken);
    }

    private static String[] lines(String text) {
        return SourceParser.normalize(text).split("\n", -1);
    }

    /** Leaves out the names the left-out lines write, and locals and labels if they hold a brace. */
    private void withhold(List<String> leftOut) {
        Set<String> words = new java.util.HashSet<>();
        boolean brace = false;
        for (String l : leftOut) {
            java.util.regex.Matcher m = WORD.matcher(l);
            while (m.find()) words.add(m.group());
            brace |= l.indexOf('{') >= 0 || l.indexOf('}') >= 0;
        }
        boolean blocksMoved = brace;
        symbols.removeIf(s -> words.contains(s.name) || blocksMoved && (s.kind == Kind.LOCAL || s.kind == Kind.LABEL));
    }

    private static final java.util.regex.Pattern WORD = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Moves every position by a map of 0-based lines (-1: the line is gone, and so is the position). */
    private void move(java.util.function.IntUnaryOperator line) {
        java.util.function.Function<Pos, Pos> to = p -> {
            int l = line.applyAsInt(p.line() - 1);
            return l < 0 ? null : new Pos(p.file(), l + 1, p.column(), p.length());
        };
        for (Symbol s : symbols) {
            s.declaration = s.declaration == null ? null : to.apply(s.declaration);
            List<Pos> uses = s.uses.stream().map(to).filter(java.util.Objects::nonNull).toList();
            List<Pos> writes = s.writes.stream().map(to).filter(java.util.Objects::nonNull).toList();
            s.uses.clear();
            s.uses.addAll(uses);
            s.writes.clear();
            s.writes.addAll(writes);
        }
    }

    /** The symbol written at a 0-based position (the cursor inside the name or just after it). */
    Optional<Symbol> at(int line, int character) {
        for (Symbol s : symbols) {
            for (Pos p : s.all()) {
                if (p.line() - 1 == line && p.column() - 1 <= character && character <= p.column() - 1 + s.name.length()) {
                    return Optional.of(s);
                }
            }
        }
        return Optional.empty();
    }

    /** A path of the file (not of a scenario): the files importing this one call it too. */
    boolean exported(Symbol s) {
        return s.kind == Kind.PATH && filePaths.get(s.name) == s;
    }

    /** The file's own path of that name, or the calls of one declared elsewhere. */
    Optional<Symbol> path(String name) {
        return Optional.ofNullable(filePaths.get(name)).or(() -> Optional.ofNullable(callees.get(name)));
    }

    Set<String> pathNames() {
        return allPaths;
    }

    private void walk(SourceFile file) {
        for (GlobalDecl g : file.globals()) globals.putIfAbsent(g.name().name(), symbol(Kind.GLOBAL, g.name()));
        for (PathDecl p : file.paths()) filePaths.putIfAbsent(p.name().name(), symbol(Kind.PATH, p.name()));
        allPaths.addAll(filePaths.keySet());
        for (PathDecl p : file.paths()) path(p);
        for (Scenario sc : file.scenarios()) {
            scenarioPaths = new LinkedHashMap<>();
            for (PathDecl p : sc.paths()) scenarioPaths.putIfAbsent(p.name().name(), symbol(Kind.PATH, p.name()));
            allPaths.addAll(scenarioPaths.keySet());
            outline = new LinkedHashMap<>();
            for (OutlineVar v : sc.outline()) {
                v.values().forEach(this::expr);
                outline.putIfAbsent(v.name().name(), symbol(Kind.OUTLINE, v.name()));
            }
            sc.vcpus().forEach(this::expr);
            for (Block setup : sc.setups()) body(setup);
            for (ThreadDecl t : sc.threads()) {
                t.vcpu().ifPresent(this::expr);
                body(t.body());
            }
            for (PathDecl p : sc.paths()) path(p);
            for (Expectation e : sc.expectations()) expectation(e);
            outline = Map.of();
            scenarioPaths = Map.of();
        }
        // a path's rename must not take another's name in any scope the file has
        symbols.stream().filter(s -> s.kind == Kind.PATH).forEach(s -> {
            s.visible.addAll(allPaths);
            s.visible.remove(s.name);
        });
    }

    private Symbol symbol(Kind kind, Ident name) {
        Symbol s = new Symbol(kind, name.name(), name.pos());
        symbols.add(s);
        return s;
    }

    private void expectation(Expectation e) {
        if (e instanceof Expectation.Always a) expr(a.cond());
        else if (e instanceof Expectation.Final f) expr(f.cond());
        else if (e instanceof Expectation.Reachable r) expr(r.cond());
        else if (e instanceof Expectation.Max m) expr(m.bound());
        else if (e instanceof Expectation.Fails f) expectation(f.expected());
    }

    /** A thread's or the setup's body: no parameters, no labels. */
    private void body(Block block) {
        scopes.push(new HashMap<>());
        block(block);
        scopes.pop();
    }

    private void path(PathDecl p) {
        scopes.push(new HashMap<>());
        for (PathDecl.Param param : p.params()) {
            Pos at = new Pos(param.pos().file(), param.pos().line(), param.pos().column(), param.name().length());
            scopes.peek().put(param.name(), local(param.name(), at));
        }
        scopes.peek().values().forEach(this::seen); // a parameter renamed to a later one's name: two of one name
        labels = new LinkedHashMap<>();
        collectLabels(p.body());
        labels.values().forEach(l -> {
            l.visible.addAll(labels.keySet());
            l.visible.remove(l.name);
        });
        block(p.body());
        labels = Map.of();
        scopes.pop();
    }

    private void collectLabels(Block block) {
        for (Stmt s : block.statements()) {
            if (s instanceof Stmt.Label l && !labels.containsKey(l.name().name())) {
                labels.put(l.name().name(), symbol(Kind.LABEL, l.name()));
            }
            Stmt.blocks(s).forEach(this::collectLabels);
        }
    }

    private Symbol local(String name, Pos at) {
        Symbol s = new Symbol(Kind.LOCAL, name, at);
        symbols.add(s);
        seen(s);
        return s;
    }

    /** Notes the names visible where a local is written: renamed to one of them, it would be another variable there. */
    private void seen(Symbol local) {
        scopes.forEach(scope -> local.visible.addAll(scope.keySet()));
        local.visible.addAll(outline.keySet());
        local.visible.addAll(globals.keySet());
        local.visible.remove(local.name);
    }

    private void block(Block block) {
        scopes.push(new HashMap<>());
        List<Stmt> statements = block.statements();
        for (int i = 0; i < statements.size(); i++) {
            Stmt s = statements.get(i);
            Optional<Stmt.Assign> declared = i + 1 < statements.size()
                    ? CDeclarations.of(s, statements.get(i + 1), name -> userPath(name) != null) : Optional.empty();
            if (declared.isPresent()) { // `bool flush = false`: the let it means, as BodyChecker reads it
                Stmt.Assign a = declared.get();
                statement(new Stmt.Let(a.pos(), a.name(), a.value()));
                i++;
            } else {
                statement(s);
            }
        }
        scopes.pop();
    }

    private void loop(Ident var, Block body) {
        scopes.push(new HashMap<>());
        if (var != null) scopes.peek().put(var.name(), local(var.name(), var.pos()));
        block(body);
        scopes.pop();
    }

    private void statement(Stmt s) {
        if (s instanceof Stmt.Access a) {
            a.vcpu().ifPresent(this::expr);
            expr(a.gpa());
        } else if (s instanceof Stmt.If i) {
            expr(i.cond());
            block(i.then());
            i.orElse().ifPresent(this::block);
        } else if (s instanceof Stmt.IfNeedResched n) {
            block(n.then());
            n.orElse().ifPresent(this::block);
        } else if (s instanceof Stmt.Let l) {
            expr(l.value()); // its value is read before the name is bound: `let x = x + 1` reads the outer x
            scopes.peek().put(l.name().name(), local(l.name().name(), l.name().pos()));
        } else if (s instanceof Stmt.Assign a) {
            Symbol target = variable(a.name().name(), false);
            if (target != null) {
                use(target, a.name().pos());
                target.writes.add(a.name().pos());
            }
            expr(a.value());
        } else if (s instanceof Stmt.While w) {
            expr(w.cond());
            loop(null, w.body());
        } else if (s instanceof Stmt.ForLpageDisallowed f) {
            if (f.list() != null) expr(f.list());
            expr(f.take());
            loop(f.var(), f.body());
        } else if (s instanceof Stmt.ForList f) {
            loop(f.var(), f.body());
        } else if (s instanceof Stmt.ForTdpPte f) {
            expr(f.root());
            expr(f.range());
            loop(f.var(), f.body());
        } else if (s instanceof Stmt.ForFaultWalk f) {
            expr(f.fault());
            loop(f.var(), f.body());
        } else if (s instanceof Stmt.Repeat r) {
            expr(r.count());
            loop(null, r.body());
        } else if (s instanceof Stmt.Atomic a) {
            block(a.body());
        } else if (s instanceof Stmt.Choose c) {
            c.branches().forEach(this::block);
        } else if (s instanceof Stmt.Assert a) {
            expr(a.cond());
        } else if (s instanceof Stmt.Return r) {
            r.value().ifPresent(this::expr);
        } else if (s instanceof Stmt.Goto g) {
            Symbol label = labels.get(g.label().name());
            if (label != null) label.uses.add(g.label().pos());
        } else if (s instanceof Stmt.CallStmt c) {
            expr(c.call());
        }
        // Lock, Unlock, Yield, Break, Label (collected with its path): no name to resolve
    }

    private void expr(Expr e) {
        if (e instanceof Expr.Name n) {
            Symbol v = variable(n.name(), true);
            if (v != null) use(v, n.pos());
        } else if (e instanceof Expr.Field f) {
            expr(f.target());
        } else if (e instanceof Expr.Call c) {
            String name = c.name().name();
            Symbol path = userPath(name);
            if (path == null) {
                path = callees.computeIfAbsent(name, k -> {
                    Symbol s = new Symbol(Kind.CALLEE, k, null);
                    symbols.add(s);
                    return s;
                });
            }
            path.uses.add(c.name().pos());
            for (Arg a : c.args()) expr(a.value());
        } else if (e instanceof Expr.Range r) {
            expr(r.start());
            expr(r.end());
        } else if (e instanceof Expr.Unary u) {
            expr(u.operand());
        } else if (e instanceof Expr.Binary b) {
            expr(b.left());
            expr(b.right());
        }
    }

    private void use(Symbol s, Pos at) {
        s.uses.add(at);
        if (s.kind == Kind.LOCAL) seen(s);
    }

    /** What a name reads (BodyChecker.name: scopes, outline values, globals) or assigns (scopes, globals). */
    private Symbol variable(String name, boolean read) {
        for (Map<String, Symbol> scope : scopes) {
            if (scope.containsKey(name)) return scope.get(name);
        }
        if (read && outline.containsKey(name)) return outline.get(name);
        return globals.get(name);
    }

    /**
     * The user path a call runs: the scenario's before the file's, and one named after a kernel
     * path or one of its aliases under every name of it (Outline.path).
     */
    private Symbol userPath(String name) {
        for (String same : Builtins.namesOfSame(name)) {
            if (scenarioPaths.containsKey(same)) return scenarioPaths.get(same);
        }
        for (String same : Builtins.namesOfSame(name)) {
            if (filePaths.containsKey(same)) return filePaths.get(same);
        }
        return null;
    }
}
