package dev.mmu.interp.check;

import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.runtime.paths.Prelude;
import dev.mmu.runtime.paths.Prelude.Source;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The built-in kernel paths of one kernel version, parsed and checked from the runtime jar's
 * prelude by the normal front end, once per version. A path is visible under its kernel name and
 * under every alias of the built-in it is (kvm_recover_nx_lpages, kvm_recover_nx_huge_pages). An
 * error in the prelude is an internal fault, not the scenario's: the jar is broken.
 */
public final class KernelPrelude {
    private static final Map<String, Map<String, PathDecl>> BY_VERSION = new ConcurrentHashMap<>();
    private static final Map<String, String> TEXTS = new ConcurrentHashMap<>();

    private KernelPrelude() {
    }

    /** The version's paths by name and alias, in the kernel's file order. */
    public static Map<String, PathDecl> paths(String version) {
        return BY_VERSION.computeIfAbsent(version, KernelPrelude::load);
    }

    /**
     * Starts parsing and checking {@code version}'s prelude on a daemon thread, so that it overlaps
     * the command line's own start-up; the first caller of {@link #paths} waits for it. A fault is
     * left to that caller's own load to report.
     */
    public static void preload(String version) {
        Thread t = new Thread(() -> {
            try {
                paths(version);
            } catch (RuntimeException e) {
                // paths(version) fails again, where it is reported
            }
        }, "prelude");
        t.setDaemon(true);
        t.start();
    }

    /** The text of a prelude file by its resource name (kernel/mmu.mmu), as parsed. */
    public static String text(String resource) {
        return TEXTS.get(resource);
    }

    /** Whether a position lies in the prelude rather than in a user's file. */
    public static boolean isPrelude(String file) {
        return TEXTS.containsKey(file);
    }

    /**
     * The source of a path as its prelude file has it, its comment block above included, for
     * copying into a scenario; empty if the prelude has no path of that name or alias.
     */
    public static Optional<String> source(String version, String name) {
        PathDecl p = paths(version).get(name);
        if (p == null) {
            return Optional.empty();
        }
        List<String> lines = TEXTS.get(p.pos().file()).lines().toList();
        int first = p.pos().line() - 1;
        while (first > 0 && lines.get(first - 1).startsWith("#")) {
            first--;
        }
        int last = p.pos().line() - 1;
        while (!lines.get(last).equals("}")) { // prelude files are in mmu fmt's form: a path ends at column 1
            last++;
        }
        return Optional.of(String.join("\n", lines.subList(first, last + 1)) + "\n");
    }

    /**
     * The prelude paths of {@code version} whose bodies call {@code name} (comments left out), in
     * the kernel's file order: where a patch to a primitive is written, as the primitive cannot be
     * replaced but its caller can.
     */
    public static List<String> callers(String version, String name) {
        java.util.regex.Pattern call = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(name) + "\\b");
        List<String> found = new java.util.ArrayList<>();
        byPosition(version).forEach((n, p) -> {
            if (!n.equals(p.name().name()) || found.contains(n)) {
                return; // an alias names the same path
            }
            List<String> body = source(version, n).orElseThrow().lines()
                    .dropWhile(l -> l.startsWith("#")).skip(1)          // the comment block, the header
                    .map(l -> l.replaceFirst("#.*", "")).toList();
            if (body.stream().anyMatch(l -> call.matcher(l).find())) {
                found.add(n);
            }
        });
        return found;
    }

    /**
     * The prelude paths of {@code version} whose source, comments included, names {@code name}: a
     * kernel function the model has inside another path (or a helper it folds in), for `mmu show`
     * of a name that is no path.
     */
    public static List<String> mentioning(String version, String name) {
        java.util.regex.Pattern word = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(name) + "\\b");
        List<String> found = new java.util.ArrayList<>();
        byPosition(version).forEach((n, p) -> {
            if (n.equals(p.name().name()) && !found.contains(n) && word.matcher(source(version, n).orElseThrow()).find()) {
                found.add(n);
            }
        });
        return found;
    }

    /** The version's paths by file, then line: the order `mmu show` lists them in. */
    private static Map<String, PathDecl> byPosition(String version) {
        Map<String, PathDecl> sorted = new LinkedHashMap<>();
        paths(version).entrySet().stream()
                .sorted(java.util.Comparator.comparing((Map.Entry<String, PathDecl> e) -> e.getValue().pos().file())
                        .thenComparingInt(e -> e.getValue().pos().line()).thenComparing(Map.Entry::getKey))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /**
     * The name {@code version}'s prelude has for a kernel function it knows under another version's
     * name ({@code kvm_mmu_zap_collapsible_sptes} under 7.2: {@code kvm_mmu_recover_huge_pages}), or
     * empty if the name is its own or no rename's.
     */
    public static Optional<String> renamedIn(String version, String name) {
        Map<String, PathDecl> paths = paths(version);
        return paths.containsKey(name) ? Optional.empty()
                : Prelude.rename(name).map(r -> r.other(name)).filter(paths::containsKey);
    }

    /** What the checker says of a name {@code version} has as {@code own} ({@link #renamedIn}), to go on with why. */
    public static String renameMessage(String what, String name, String version, String own) {
        Prelude.Rename r = Prelude.rename(name).orElseThrow();
        return what + " '" + name + "' is the kernel's name " + (name.equals(r.older()) ? "before " : "since ")
                + r.since() + ": kernel " + version + " calls it '" + own + "'";
    }

    /**
     * What the checker says of a call of {@code name}, a renamed primitive, under {@code version},
     * which calls it {@code own} ({@link Prelude#primitiveRenamedIn}), and what to do instead.
     */
    public static String primitiveRenameMessage(String name, String version, String own) {
        Prelude.PrimitiveRename r = Prelude.primitiveRename(name).orElseThrow();
        boolean older = r.older().equals(name);
        return "primitive '" + name + "' is the name of kernel " + r.versionsOf(name) + ": kernel " + version
                + " calls it '" + own + "'; call that, or "
                + (older ? "select a kernel of the older name (`vm { kernel " + r.versionsOf(name).replaceAll(".*-", "") + " }`)"
                        : "leave the kernel out for today's (" + Prelude.LATEST + ")");
    }

    private static Map<String, PathDecl> load(String version) {
        Diagnostics diagnostics = new Diagnostics();
        Map<String, PathDecl> byName = new LinkedHashMap<>();
        for (Source s : Prelude.shared()) {
            parse(s, diagnostics).forEach(p -> byName.put(p.name().name(), p));
        }
        for (Source s : Prelude.overrides(version)) {
            for (PathDecl p : parse(s, diagnostics)) {
                String name = p.name().name();
                // A function the version knows by its older name replaces the newer one: the version
                // has only its own name (Prelude.RENAMES).
                Optional<Prelude.Rename> renamed = Prelude.rename(name).filter(r -> r.older().equals(name));
                if (renamed.isPresent() && byName.remove(renamed.get().newer()) != null) {
                    byName.put(name, p);
                } else if (byName.put(name, p) == null) {
                    diagnostics.error(p.name().pos(), "path '" + name + "' of " + version + " is not in kernel/'s files ("
                            + Prelude.SHARED + "'s): a version folder only replaces functions, or renames one of"
                            + " Prelude.RENAMES");
                }
            }
        }
        Map<String, PathDecl> visible = new LinkedHashMap<>();
        byName.forEach((name, p) -> Builtins.namesOfSame(name).forEach(n -> visible.put(n, p)));
        for (PathDecl p : byName.values()) {
            new BodyChecker(diagnostics, visible, Map.of(), null, "path", false, Map.of(), version).path(p);
        }
        new PathCycles(diagnostics, visible).check();
        fail(diagnostics, version);
        return Map.copyOf(visible);
    }

    private static List<PathDecl> parse(Source s, Diagnostics diagnostics) {
        if (s.text() == null) {
            throw new IllegalStateException("internal fault: the prelude " + s.name() + " is missing from the jar");
        }
        String text = SourceParser.normalize(s.text());
        TEXTS.put(s.name(), text);
        Optional<SourceFile> file = SourceParser.parse(s.name(), text, diagnostics);
        if (file.isPresent() && (!file.get().imports().isEmpty() || !file.get().scenarios().isEmpty())) {
            diagnostics.error(file.get().pos(), "a prelude file holds paths only");
        }
        return file.map(SourceFile::paths).orElse(List.of());
    }

    private static void fail(Diagnostics diagnostics, String version) {
        if (!diagnostics.hasErrors()) {
            return;
        }
        StringBuilder b = new StringBuilder("internal fault: the kernel prelude (" + version + ") does not check:");
        for (Diagnostic d : diagnostics.sorted()) {
            b.append('\n').append(d.pos()).append(": ").append(d.message());
        }
        throw new IllegalStateException(b.toString());
    }
}
