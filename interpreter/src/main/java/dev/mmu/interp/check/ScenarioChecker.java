package dev.mmu.interp.check;

import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.ExploreSetting;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.Ident;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.check.Builtins.Kind;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.diag.Suggestions;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.paths.Prelude;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/** Checks one scenario row: its machine, setup, threads, local paths, exploration and expectations. */
final class ScenarioChecker {

    private final Diagnostics diagnostics;
    /** The globals of the scenario being checked (its file's and imported ones). */
    private Map<String, GlobalDecl> globals = Map.of();

    ScenarioChecker(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    /**
     * @param filePaths user paths declared at file level or imported
     */
    CheckedScenario check(Scenario s, String name, Map<String, Long> row, Map<String, PathDecl> filePaths,
                          Map<String, GlobalDecl> globals) {
        this.globals = globals;
        Machine machine = new MachineChecker(diagnostics, row).check(s);
        onceEach(s.vm());
        onceEach(s.explore());
        // The prelude's kernel paths, then the user's: a user path with a kernel path's name (or
        // alias) replaces it for this scenario, also where other kernel paths call it.
        Map<String, PathDecl> paths = new LinkedHashMap<>(KernelPrelude.paths(machine.kernel()));
        filePaths.values().forEach(p -> renamedCopy(machine, p));
        filePaths.values().forEach(p -> declare(paths, p));
        Map<String, PathDecl> local = new HashMap<>();
        for (PathDecl p : s.paths()) {
            renamedCopy(machine, p);
            PathDecl earlier = local.putIfAbsent(p.name().name(), p);
            if (earlier != null) {
                diagnostics.error(p.name().pos(), "path '" + p.name().name() + "' is already declared at line "
                        + earlier.pos().line());
            }
            declare(paths, p);
        }
        for (PathDecl p : s.paths()) {
            new BodyChecker(diagnostics, paths, row, machine, "path", false, globals).path(p);
        }
        new PathCycles(diagnostics, paths).check();
        for (int i = 0; i < s.setups().size(); i++) {
            if (i > 0) {
                diagnostics.error(s.setups().get(i).pos(), "setup is already declared at line "
                        + s.setups().get(0).pos().line() + ": put every step in one setup");
            }
            new BodyChecker(diagnostics, paths, row, machine, "setup", false, globals).block(s.setups().get(i));
        }
        threads(s, row, machine, paths);
        explore(s, row);
        expectations(s, row, machine, paths);
        return new CheckedScenario(name, s.tags(), s, Map.copyOf(row), machine, Map.copyOf(paths),
                java.util.List.copyOf(globals.values()));
    }

    /** A copy under another version's name of a kernel function would replace nothing: the kernel calls its own. */
    private void renamedCopy(Machine machine, PathDecl p) {
        KernelPrelude.renamedIn(machine.kernel(), p.name().name()).ifPresent(own -> diagnostics.error(p.name().pos(),
                KernelPrelude.renameMessage("path", p.name().name(), machine.kernel(), own)
                        + ": name the copy '" + own + "', as a copy replaces a kernel path under its kernel's name only"));
    }

    private static void declare(Map<String, PathDecl> paths, PathDecl p) {
        Builtins.namesOfSame(p.name().name()).forEach(n -> paths.put(n, p));
    }

    private void threads(Scenario s, Map<String, Long> row, Machine machine, Map<String, PathDecl> paths) {
        Map<String, ThreadDecl> seen = new HashMap<>();
        ConstEval eval = new ConstEval(row);
        for (ThreadDecl t : s.threads()) {
            // vcpu 1 and vcpu 0x1 are the same thread
            String key = t.vcpu().map(eval::eval).filter(OptionalLong::isPresent)
                    .map(v -> "vcpu " + v.getAsLong()).orElse(t.name());
            ThreadDecl earlier = seen.putIfAbsent(key, t);
            if (earlier != null) {
                diagnostics.error(t.pos(), "thread '" + key + "' is already declared at line " + earlier.pos().line());
            }
            BodyChecker checker = new BodyChecker(diagnostics, paths, row, machine, "thread", t.vcpu().isPresent(),
                    globals);
            t.vcpu().ifPresent(v -> vcpuThreadIndex(v, row, machine));
            checker.block(t.body());
        }
    }

    private void vcpuThreadIndex(Expr v, Map<String, Long> row, Machine machine) {
        OptionalLong index = new ConstEval(row).eval(v);
        if (index.isEmpty()) {
            diagnostics.error(v.pos(), "the vCPU of a thread must be a constant number");
        } else if (index.getAsLong() < 0 || index.getAsLong() >= machine.vcpus()) {
            diagnostics.error(v.pos(), "unknown vCPU " + index.getAsLong() + ": the scenario has " + machine.vcpus()
                    + " vCPU" + (machine.vcpus() == 1 ? " (vcpu 0)" : "s (vcpu 0.." + (machine.vcpus() - 1) + ")"));
        }
    }

    /** A vm or explore setting given twice would silently lose one value: the second is an error. */
    private void onceEach(List<?> settings) {
        Map<String, Pos> seen = new HashMap<>();
        for (Object setting : settings) {
            Pos pos = setting instanceof VmSetting v ? v.pos() : ((ExploreSetting) setting).pos();
            String name = settingName(setting);
            Pos earlier = seen.putIfAbsent(name, pos);
            if (earlier != null) {
                diagnostics.error(pos, name + " is already set at line " + earlier.line());
            }
        }
    }

    /** The keyword of a setting: NxHugePages → nx_huge_pages, SymmetryVcpus → symmetry. */
    private static String settingName(Object setting) {
        if (setting instanceof ExploreSetting.SymmetryVcpus) {
            return "symmetry";
        }
        if (setting instanceof VmSetting.Quirk q) { // one setting per quirk
            return "quirk " + q.name().name();
        }
        return setting.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private void explore(Scenario s, Map<String, Long> row) {
        ConstEval eval = new ConstEval(row);
        for (ExploreSetting e : s.explore()) {
            if (e instanceof ExploreSetting.Time t && t.millis() == 0) {
                diagnostics.error(t.pos(), "time must be above 0: it is the budget of the search");
            }
            if (e instanceof ExploreSetting.Time t && t.millis() > ExploreOptions.MAX_TIME_LIMIT.toMillis()) {
                diagnostics.error(t.pos(), "time must be at most " + ExploreOptions.MAX_TIME_LIMIT.toDays() + " days");
            }
            if (e instanceof ExploreSetting.SymmetryVcpus) {
                long vcpuThreads = s.threads().stream().filter(t -> t.vcpu().isPresent()).count();
                if (vcpuThreads < 2) {
                    diagnostics.error(e.pos(), "symmetry vcpus needs two or more 'thread vcpu N' to interchange; "
                            + "this scenario has " + vcpuThreads);
                }
            }
            Expr value = e instanceof ExploreSetting.Preemptions p ? p.bound()
                    : e instanceof ExploreSetting.Runs r ? r.count()
                    : e instanceof ExploreSetting.Seed sd ? sd.seed()
                    : e instanceof ExploreSetting.MaxStates m ? m.count()
                    : null;
            if (value == null) {
                continue;
            }
            OptionalLong v = eval.eval(value);
            // max_states is the budget; preemptions and runs are counted in an int
            long min = e instanceof ExploreSetting.MaxStates ? 1 : 0;
            long max = e instanceof ExploreSetting.Preemptions || e instanceof ExploreSetting.Runs
                    ? Integer.MAX_VALUE : Long.MAX_VALUE;
            if (v.isEmpty() || v.getAsLong() < min || v.getAsLong() > max) {
                diagnostics.error(value.pos(), "expected a constant number, " + min
                        + (max == Long.MAX_VALUE ? " or more" : " to " + max));
            }
        }
    }

    private void expectations(Scenario s, Map<String, Long> row, Machine machine, Map<String, PathDecl> paths) {
        BodyChecker checker = new BodyChecker(diagnostics, paths, row, machine, "expectation", false, globals);
        for (Expectation e : s.expectations()) {
            expectation(e, checker, machine.kernel());
        }
    }

    private void expectation(Expectation e, BodyChecker checker, String kernel) {
        if (e instanceof Expectation.Fails f) {
            if (f.expected() instanceof Expectation.Never n) {
                diagnostics.error(f.pos(), "a broken invariant is expected with 'expect violation "
                        + n.invariant().name() + "'");
            }
            expectation(f.expected(), checker, kernel);
        } else if (e instanceof Expectation.Never n) {
            builtin(n.invariant(), Kind.INVARIANT, "invariant");
            kernelHas(n.invariant(), kernel);
        } else if (e instanceof Expectation.Violation v) {
            builtin(v.invariant(), Kind.INVARIANT, "invariant");
            kernelHas(v.invariant(), kernel);
        } else if (e instanceof Expectation.Max m) {
            builtin(m.metric(), Kind.METRIC, "metric");
            checker.number(m.bound(), "the bound of a metric");
        } else if (e instanceof Expectation.Always a) {
            checker.condition(a.cond());
        } else if (e instanceof Expectation.Final f) {
            checker.condition(f.cond());
        } else if (e instanceof Expectation.Reachable r) {
            checker.condition(r.cond());
        }
    }

    /**
     * An invariant that states a contract the scenario's kernel no longer has is refused, rather than
     * checked (it would find nothing) or passed in silence: dirty_bit_lost is kvm_set_pfn_dirty() at
     * the zap, which v6.13 dropped (docs/language.md, the invariants' table).
     */
    private void kernelHas(Ident name, String kernel) {
        if (name.name().equals("dirty_bit_lost") && !Prelude.setsPfnDirtyOnZap(kernel)) {
            diagnostics.error(name.pos(), "kernel " + kernel + " has no dirty_bit_lost: since v6.13 the fault marks"
                    + " the page dirty when it makes a writable SPTE, so a dropped D bit loses nothing; check it with"
                    + " kernel 6.12 or older");
        }
    }

    private void builtin(Ident name, Kind kind, String what) {
        var found = Builtins.lookup(name.name());
        if (found.isPresent() && found.get().kind() != kind) {
            diagnostics.error(name.pos(), "'" + name.name() + "' is a "
                    + found.get().kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + ", not a built-in " + what);
        } else if (found.isEmpty()) {
            diagnostics.error(name.pos(), "unknown " + what + " '" + name.name() + "'"
                    + Suggestions.hint(name.name(), Builtins.namesOf(kind)));
        }
    }
}
