package dev.mmu.interp.cli;

import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.interp.check.Type;
import dev.mmu.interp.diag.Suggestions;
import dev.mmu.interp.diag.Wrap;
import dev.mmu.runtime.paths.Prelude;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `mmu show NAME [--kernel V]`: prints a built-in kernel path's prelude source, to copy into a
 * scenario and edit as a patch does (a path with the built-in's name replaces it there).
 */
@Command(name = "show", description = {
        "Print the .mmu source of a built-in kernel path as the prelude has it for a kernel version.",
        "Copy it into a scenario file and edit it: a path with a built-in's name replaces the built-in there.",
        "Without NAME: list the kernel paths the prelude has."})
final class ShowCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "NAME", description = "a kernel path, e.g. kvm_recover_nx_huge_pages")
    String name;

    @Option(names = "--kernel", paramLabel = "V", defaultValue = "latest",
            description = "the kernel version: ${COMPLETION-CANDIDATES}, or latest (the default: today's, " + Prelude.LATEST + ")",
            completionCandidates = Versions.class)
    String kernel;

    @Override
    public Integer call() {
        String version = kernel.equals("latest") ? Prelude.LATEST : kernel;
        if (!Prelude.VERSIONS.contains(version)) {
            Wrap.wrap(List.of("mmu: unknown kernel version '" + kernel + "': the prelude models "
                    + String.join(", ", Prelude.VERSIONS) + " and latest (" + Prelude.LATEST + ")"),
                    Terminal.diagnosticColumns()).forEach(System.err::println);
            return ExitCode.BAD_INPUT;
        }
        if (name == null) {
            // By file, then in the file's (the kernel's) order: a reader follows it beside the .c file.
            Set<PathDecl> sorted = new TreeSet<>(Comparator.comparing((PathDecl p) -> p.pos().file())
                    .thenComparingInt(p -> p.pos().line()));
            sorted.addAll(KernelPrelude.paths(version).values());
            for (PathDecl p : sorted) {
                System.out.println(p.name().name() + "  (" + p.pos().file() + ")");
            }
            return ExitCode.PASS;
        }
        var source = KernelPrelude.source(version, name);
        if (source.isPresent()) {
            System.out.print(source.get());
            PathDecl decl = KernelPrelude.paths(version).get(name);
            // kernel/6.12/mmu.mmu is 6.12's text, kernel/7.3/tdp_mmu.mmu 7.3's, kernel/mmu.mmu 7.2's (Prelude.SHARED).
            String text = decl == null ? version : Prelude.versionOf(decl.pos().file());
            if (!version.equals(text)) {
                // Its comment names another version (7.2's shared files, or the 6.12 folder 5.10 and
                // 5.12 are laid over): say that this version runs that same source.
                System.err.println("mmu: the prelude has no " + version + " variant of " + name + ": `vm { kernel "
                        + version + " }` runs " + text + "'s, printed above"
                        + (!text.equals(Prelude.SHARED) ? ""
                                : Prelude.VERSIONS.indexOf(version) > Prelude.VERSIONS.indexOf(Prelude.SHARED)
                                ? " (docs/kernel-model.md, \"Kernel 7.3\": " + version + " read against " + Prelude.SHARED
                                        + ", and why its steps are the same for the model)"
                                : " (docs/kernel-model.md, \"Kernel 7.2 audit\": what changed"
                                        + " in it between 6.12 and " + Prelude.SHARED + ", and why the model's steps are the same)"));
            }
            return ExitCode.PASS;
        }
        Optional<String> own = KernelPrelude.renamedIn(version, name);
        if (own.isPresent()) {
            // The other version's name of a renamed function: the version has it under its own.
            Prelude.Rename r = Prelude.rename(name).orElseThrow();
            String older = name.equals(r.older()) ? "6.12" : Prelude.LATEST;
            System.err.println("mmu: " + KernelPrelude.renameMessage("kernel path", name, version, own.get())
                    + ": `mmu show " + own.get() + (version.equals(Prelude.LATEST) ? "" : " --kernel " + version)
                    + "` prints it, `mmu show " + name + " --kernel " + older + "` " + older + "'s");
            return ExitCode.BAD_INPUT;
        }
        Optional<String> ownPrimitive = Prelude.primitiveRenamedIn(version, name);
        if (ownPrimitive.isPresent()) {
            // The other version's name of a renamed primitive: the version calls it by its own.
            Prelude.PrimitiveRename r = Prelude.primitiveRename(name).orElseThrow();
            String theirs = r.versionsOf(name).replaceAll(".*-", "");
            System.err.println("mmu: primitive '" + name + "' is the name of kernel " + r.versionsOf(name) + ": kernel "
                    + version + " calls it '" + ownPrimitive.get() + "': `mmu show " + ownPrimitive.get()
                    + (version.equals(Prelude.LATEST) ? "" : " --kernel " + version) + "` prints it, `mmu show " + name
                    + " --kernel " + theirs + "` " + theirs + "'s");
            return ExitCode.BAD_INPUT;
        }
        Optional<Builtins.Builtin> primitive = Builtins.lookup(name).filter(b -> b.kind() == Builtins.Kind.PRIMITIVE);
        List<Builtins.Builtin> modelling = Builtins.modelling(name);
        if (primitive.isEmpty() && modelling.size() == 1 && modelling.get(0).kind() == Builtins.Kind.PRIMITIVE) {
            // The kernel's name of a primitive (kvm_tdp_mmu_zap_sp): show that primitive, as a
            // patch names the kernel function ("did you mean 'kvm_tdp_mmu_map'?" led nowhere).
            System.out.println("# " + name + " is the primitive " + modelling.get(0).name() + " here:");
            name = modelling.get(0).name();
            primitive = Optional.of(modelling.get(0));
        }
        if (primitive.isPresent()) {
            // No .mmu source to copy: what it models, as comment lines a scenario file may keep.
            Builtins.Builtin b = primitive.get();
            // a one-step primitive the prelude now writes out (commit_zap: kvm_mmu_commit_zap_page)
            boolean writtenOut = !b.kernelFunction().equals(name)
                    && KernelPrelude.paths(version).containsKey(b.kernelFunction());
            List<String> lines = List.of(name + " is a primitive (Java in the runtime), not a path of the prelude: it"
                    + " models " + b.kernelFunction() + (b.kernelVersion().isEmpty() ? "" : " (" + b.kernelVersion() + ")")
                    + ".", b.doc() + ".", b.name() + "(" + String.join(", ", b.params().stream().map(Builtins.Param::text)
                    .toList()) + ")" + (b.returns() == Type.VOID ? "" : " -> " + b.returns().display)
                    + (writtenOut ? ": the prelude writes " + b.kernelFunction() + "() out as a path; a patch edits"
                            + " the copy `mmu show " + b.kernelFunction() + (version.equals(Prelude.LATEST) ? ""
                            : " --kernel " + version) + "` prints."
                    : ": a path calls it (docs/language.md, section 6); a loop around it is written out in .mmu,"
                    + " as the prelude's tdp_mmu_zap_leafs does (mmu show tdp_mmu_zap_leafs)."));
            Wrap.wrap(lines, Terminal.columns() - 2).forEach(l -> System.out.println("# " + l));
            return ExitCode.PASS;
        }
        // A kernel function the model has inside a path or a primitive (a 7.3 patch to
        // is_access_allowed() or kvm_rmap_age_gfn_range()): where it is, not the nearest spelling.
        List<String> inside = new java.util.ArrayList<>(KernelPrelude.mentioning(version, name));
        java.util.regex.Pattern word = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(name) + "\\b");
        Builtins.ofKind(Builtins.Kind.PRIMITIVE).stream()
                .filter(b -> word.matcher(b.doc()).find() || word.matcher(b.kernelFunction()).find())
                .forEach(b -> inside.add(b.name() + " (a primitive)"));
        Set<String> candidates = new TreeSet<>(KernelPrelude.paths(version).keySet());
        candidates.addAll(Builtins.namesOf(Builtins.Kind.PRIMITIVE));
        // Beside where the model has it, only a spelling that is part of the name (tdp_mmu_zap_leafs of
        // kvm_tdp_mmu_zap_leafs): kvm_zap_gfn_range for kvm_rmap_age_gfn_range led away from aging.
        String hint = Suggestions.closest(name, candidates)
                .filter(c -> inside.isEmpty() || name.contains(c) || c.contains(name))
                .map(c -> "; did you mean '" + c + "'"
                + (KernelPrelude.paths(version).containsKey(c) ? "" : " (a primitive)") + "?").orElse("");
        String where = "";
        if (!inside.isEmpty()) {
            List<String> shown = inside.subList(0, Math.min(4, inside.size()));
            where = "; the model has it inside " + String.join(", ", shown)
                    + (inside.size() > shown.size() ? " and " + (inside.size() - shown.size()) + " more" : "")
                    + ": `mmu show " + inside.get(0).replace(" (a primitive)", "") + "` prints "
                    + (inside.size() == 1 ? "it" : "the first");
        }
        String message = "mmu: the prelude has no kernel path '" + name + "'" + where + hint;
        // fitted to a known terminal (one line into a pipe), the list of places to any
        Wrap.wrap(List.of(message), where.isEmpty() ? Terminal.diagnosticColumns() : Terminal.columns())
                .forEach(System.err::println);
        return ExitCode.BAD_INPUT;
    }

    /** The versions picocli lists in the help. */
    static final class Versions implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Prelude.VERSIONS.iterator();
        }
    }
}
