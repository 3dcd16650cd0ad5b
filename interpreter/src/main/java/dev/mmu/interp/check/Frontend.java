package dev.mmu.interp.check;

import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.Import;
import dev.mmu.interp.ast.OutlineVar;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.runtime.paths.Prelude;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The front end's one entry point: text in, checked scenarios or diagnostics out. Parses the
 * file and its imports (relative to the importing file), makes their paths visible, expands
 * scenario outlines into one scenario per row and checks each. Scenarios of imported files are
 * not run: an import brings paths.
 */
public final class Frontend {

    /** Larger than any scenario file; a bound so that a device or a huge file cannot exhaust memory. */
    public static final long MAX_SOURCE_BYTES = 4 << 20;

    /** Loads a file from disk; positions name it as {@code file} was given. */
    public LoadResult load(Path file) {
        Loading loading = new Loading();
        try {
            return loading.root(file.toString(), read(file));
        } catch (IOException e) {
            loading.diagnostics.error(new Pos(file.toString(), 1, 1, 1), "cannot read file: " + e.getMessage());
            return loading.result(List.of());
        }
    }

    /**
     * The text of a source file: a regular file (not a device, FIFO or folder) of at most
     * {@link #MAX_SOURCE_BYTES}, in UTF-8; otherwise an IOException saying which it is not.
     */
    public static String read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(Files.isDirectory(file) ? "a folder, not a file" : "not a regular file");
        }
        if (Files.size(file) > MAX_SOURCE_BYTES) {
            throw new IOException("larger than " + (MAX_SOURCE_BYTES >> 20) + " MiB");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException("not UTF-8 text", e);
        } catch (IOException e) {
            throw new IOException(e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e.getMessage(), e);
        }
    }

    /** Loads text named {@code name}; imports are resolved relative to {@code name}'s folder. */
    public LoadResult load(String name, String text) {
        return new Loading().root(name, text);
    }

    /** The state of one load: every file read, every diagnostic. */
    private static final class Loading {

        private final Diagnostics diagnostics = new Diagnostics();
        private final Map<String, String> sources = new LinkedHashMap<>();
        private final Map<Path, Exports> exported = new HashMap<>();               // file → what it makes visible
        private final List<Path> importing = new ArrayList<>();                    // the current import chain

        LoadResult root(String name, String text) {
            Path path = Path.of(name).toAbsolutePath().normalize();
            Optional<SourceFile> file = parse(name, text);
            if (file.isEmpty()) {
                return result(List.of());
            }
            importing.add(path);
            Exports visible = exports(file.get(), path);
            importing.remove(importing.size() - 1);

            List<CheckedScenario> scenarios = new ArrayList<>();
            Map<String, Scenario> names = new HashMap<>();
            ScenarioChecker checker = new ScenarioChecker(diagnostics);
            for (Scenario s : file.get().scenarios()) {
                Scenario earlier = names.putIfAbsent(s.name(), s);
                if (earlier != null) {
                    diagnostics.error(s.pos(), "scenario \"" + s.name() + "\" is already declared at line "
                            + earlier.pos().line());
                }
                for (Map<String, Long> row : rows(s)) {
                    scenarios.add(checker.check(s, s.name() + suffix(row), row, visible.paths(), visible.globals()));
                }
            }
            return result(scenarios);
        }

        LoadResult result(List<CheckedScenario> scenarios) {
            return new LoadResult(diagnostics.hasErrors() ? List.of() : List.copyOf(scenarios),
                    diagnostics.sorted(), Map.copyOf(sources));
        }

        private Optional<SourceFile> parse(String name, String raw) {
            String text = SourceParser.normalize(raw);
            sources.put(name, text);
            return SourceParser.parse(name, text, diagnostics);
        }

        /**
         * The paths and globals a file sees: its imports' (transitively), then its own; file-level
         * paths checked once.
         */
        private Exports exports(SourceFile file, Path path) {
            Map<String, PathDecl> visible = new LinkedHashMap<>();
            Map<String, GlobalDecl> globals = new LinkedHashMap<>();
            for (Import imp : file.imports()) {
                Exports imported = imported(imp, path);
                for (PathDecl p : imported.paths().values()) {
                    declare(visible, p);
                }
                for (GlobalDecl g : imported.globals().values()) {
                    declare(globals, g);
                }
            }
            for (PathDecl p : file.paths()) {
                declare(visible, p);
            }
            for (GlobalDecl g : file.globals()) {
                declare(globals, g);
                if (new ConstEval(Map.of()).eval(g.value()).isEmpty() && !(g.value() instanceof Expr.BoolLit)) {
                    diagnostics.error(g.value().pos(), "a global starts from a constant (a number, true or false)");
                }
            }
            // A file-level path may call any prelude path (a copy from `mmu show` calls its helpers);
            // the scenario's kernel version picks which one runs. The names are every version's, not
            // always with the same parameters (7.2's kvm_recover_nx_huge_pages(mmu_type)): where
            // every scenario of the file runs one version, the paths are checked against its prelude.
            String kernel = kernelOf(file);
            Map<String, PathDecl> callable = new LinkedHashMap<>(KernelPrelude.paths(kernel));
            callable.putAll(visible);
            for (PathDecl p : file.paths()) {
                new BodyChecker(diagnostics, callable, Map.of(), null, "path", false, globals, kernel).path(p);
            }
            return new Exports(visible, globals);
        }

        /** The one kernel version every scenario of the file selects; latest if none or several. */
        private static String kernelOf(SourceFile file) {
            Set<String> versions = new HashSet<>();
            for (Scenario s : file.scenarios()) {
                String v = s.vm().stream().filter(x -> x instanceof VmSetting.Kernel)
                        .map(x -> ((VmSetting.Kernel) x).version()).reduce((a, b) -> b).orElse("latest");
                versions.add(v.equals("latest") ? Prelude.LATEST : v);
            }
            return versions.size() == 1 && Prelude.VERSIONS.contains(versions.iterator().next())
                    ? versions.iterator().next() : Prelude.LATEST;
        }

        private void declare(Map<String, GlobalDecl> visible, GlobalDecl g) {
            GlobalDecl earlier = visible.putIfAbsent(g.name().name(), g);
            if (earlier != null && earlier != g) {
                diagnostics.error(g.name().pos(), "global '" + g.name().name() + "' is already declared at "
                        + (earlier.pos().file().equals(g.pos().file()) ? "line " + earlier.pos().line() : earlier.pos()));
            } else if (Builtins.lookup(g.name().name()).isPresent()) {
                diagnostics.error(g.name().pos(), "global '" + g.name().name() + "' has the name of a built-in "
                        + Builtins.lookup(g.name().name()).get().kind().name().toLowerCase(java.util.Locale.ROOT)
                        .replace('_', ' '));
            }
        }

        private void declare(Map<String, PathDecl> visible, PathDecl p) {
            PathDecl earlier = visible.putIfAbsent(p.name().name(), p);
            if (earlier != null && earlier != p) {
                diagnostics.error(p.name().pos(), "path '" + p.name().name() + "' is already declared at "
                        + earlier.pos());
            }
            // A kernel path may be replaced (it is .mmu in the prelude); a primitive, query or name may not.
            if (Builtins.lookup(p.name().name()).filter(b -> b.kind() != Builtins.Kind.KERNEL_PATH).isPresent()) {
                Builtins.Kind kind = Builtins.lookup(p.name().name()).get().kind();
                diagnostics.error(p.name().pos(), "path '" + p.name().name() + "' has the name of a built-in "
                        + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                        + (kind == Builtins.Kind.PRIMITIVE ? primitiveHint(p.name().name()) : ""));
            }
        }

        /**
         * A patch to a primitive (Java, not .mmu) is written in the prelude path that calls it: which
         * one to copy, as a maintainer who pasted the primitive's name has nothing else to go on.
         */
        private static String primitiveHint(String name) {
            // a one-step primitive the prelude now writes out (commit_zap: kvm_mmu_commit_zap_page)
            String kernel = dev.mmu.runtime.paths.Primitives.get(name).kernel();
            if (!kernel.equals(name) && KernelPrelude.paths(Prelude.LATEST).containsKey(kernel)) {
                return " (Java, which a path cannot replace): the prelude writes " + kernel + "() out as a path;"
                        + " copy `mmu show " + kernel + "` and edit it";
            }
            List<String> callers = KernelPrelude.callers(Prelude.LATEST, name);
            if (callers.isEmpty()) {
                return " (Java, which a path cannot replace; `mmu show " + name + "` says what it models)";
            }
            List<String> shown = callers.subList(0, Math.min(3, callers.size()));
            return " (Java, which a path cannot replace): copy its caller and change the call there ("
                    + String.join(", ", shown.stream().map(c -> "`mmu show " + c + "`").toList())
                    + (callers.size() > shown.size() ? " and " + (callers.size() - shown.size()) + " more" : "") + ")";
        }

        private Exports imported(Import imp, Path from) {
            Path target;
            try {
                target = from.resolveSibling(imp.path()).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                diagnostics.error(imp.pos(), "cannot import \"" + printable(imp.path()) + "\": not a valid path ("
                        + e.getReason() + ")");
                return Exports.NONE;
            }
            if (importing.contains(target)) {
                List<String> cycle = new ArrayList<>();
                importing.subList(importing.indexOf(target), importing.size())
                        .forEach(p -> cycle.add(p.getFileName().toString()));
                cycle.add(target.getFileName().toString());
                diagnostics.error(imp.pos(), "import cycle: " + String.join(" -> ", cycle));
                return Exports.NONE;
            }
            if (exported.containsKey(target)) {
                return exported.get(target);
            }
            String name = Path.of(imp.pos().file()).resolveSibling(imp.path()).normalize().toString();
            String text;
            try {
                text = read(target);
            } catch (IOException e) {
                diagnostics.error(imp.pos(), "cannot import \"" + imp.path() + "\": " + e.getMessage());
                return Exports.NONE;
            }
            Exports exports = Exports.NONE;
            Optional<SourceFile> file = parse(name, text);
            if (file.isPresent()) {
                importing.add(target);
                exports = exports(file.get(), target);
                importing.remove(importing.size() - 1);
            }
            exported.put(target, exports);
            return exports;
        }

        /** What a file makes visible to its scenarios and importers. */
        private record Exports(Map<String, PathDecl> paths, Map<String, GlobalDecl> globals) {
            static final Exports NONE = new Exports(Map.of(), Map.of());
        }

        /** A control character shown as \\u0000, so that the message says what the path holds. */
        private static String printable(String path) {
            StringBuilder b = new StringBuilder();
            path.codePoints().forEach(c -> b.append(Character.isISOControl(c) ? String.format("\\u%04x", c)
                    : Character.toString(c)));
            return b.toString();
        }

        /** One map of outline values per row: the cartesian product, first variable slowest. */
        private List<Map<String, Long>> rows(Scenario s) {
            List<Map<String, Long>> rows = new ArrayList<>();
            rows.add(new LinkedHashMap<>());
            ConstEval eval = new ConstEval(Map.of());
            for (OutlineVar v : s.outline()) {
                if (rows.get(0).containsKey(v.name().name())) {
                    diagnostics.error(v.name().pos(), "outline variable '" + v.name().name() + "' is already declared");
                    continue;
                }
                List<Map<String, Long>> next = new ArrayList<>();
                for (Map<String, Long> row : rows) {
                    for (var value : v.values()) {
                        OptionalLong n = eval.eval(value);
                        if (n.isEmpty()) {
                            if (row == rows.get(0)) {
                                diagnostics.error(value.pos(), "an outline value must be a constant number");
                            }
                            continue;
                        }
                        Map<String, Long> extended = new LinkedHashMap<>(row);
                        extended.put(v.name().name(), n.getAsLong());
                        next.add(extended);
                    }
                }
                rows = next.isEmpty() ? rows : next;
            }
            return rows;
        }

        private static String suffix(Map<String, Long> row) {
            if (row.isEmpty()) {
                return "";
            }
            List<String> parts = new ArrayList<>();
            row.forEach((k, v) -> parts.add(k + "=" + v));
            return " [" + String.join(", ", parts) + "]";
        }
    }
}
