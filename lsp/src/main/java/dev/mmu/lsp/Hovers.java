package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Builtins.Builtin;
import dev.mmu.interp.check.Builtins.Kind;
import dev.mmu.runtime.paths.Lockdep;
import dev.mmu.runtime.paths.Prelude;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.antlr.v4.runtime.Token;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/**
 * Hover text: for a built-in, the kernel function it models and why, and for a prelude kernel path
 * its comment block in the kernel version the position pins ({@link PinnedKernel}); for a path of
 * this file (also one replacing a kernel path), where it is; for a lock, the kernel's lock it is.
 */
final class Hovers {

    private Hovers() {
    }

    /** The locks `lock` and `unlock` name, as the kernel has them (docs/language.md, section 6). */
    private static final Map<String, String> LOCKS = Map.of(
            "mmu_lock", "`kvm->mmu_lock`, an rwlock: `lock write` is write_lock(), `lock read` read_lock(); the"
                    + " default lock of `lock` and `unlock`, dropped at every yield point.",
            "slots_lock", "`kvm->slots_lock`, a mutex (`lock write` only): held across memslot updates (`kvm_set_memslot`) and by"
                    + " `kvm_mmu_zap_all_fast`'s callers.",
            "srcu", "`kvm->srcu`: `lock read srcu` is srcu_read_lock() (it has no write side), around every memslot lookup;"
                    + " `synchronize_srcu()` waits for the readers.",
            "tdp_mmu_pages_lock", "`kvm->arch.tdp_mmu_pages_lock`, a spinlock (`lock write` only): the TDP MMU's page lists"
                    + " (the NX list) when `mmu_lock` is held for read.",
            "mmu_unsync_pages_lock", "`kvm->arch.mmu_unsync_pages_lock`, a spinlock (`lock write` only): marking shadow pages"
                    + " unsync under `mmu_lock` held for read.");

    /**
     * The statements whose kernel meaning is not in their name: what the kernel does there and
     * how the explorer runs it (docs/language.md, "Statements").
     */
    private static final Map<String, String> STATEMENTS = Map.of(
            "need_resched", "`need_resched() || rwlock_needbreak(&kvm->mmu_lock)`, the test at every kernel yield"
                    + " point: the explorer tries both answers, except that under `preempt full` a thread queued on"
                    + " `mmu_lock` leaves only yes.",
            "yield", "`cond_resched_rwlock_read/write(&kvm->mmu_lock)`: if `need_resched`, drops `mmu_lock` and"
                    + " takes it again in the same mode; only inside a region holding `mmu_lock`.",
            "atomic", "One step: nothing interleaves inside; `need_resched` is false inside, and the locks it takes"
                    + " must be free.",
            "choose", "The scenario writer's free choice (`choose { } or { }`): the explorer tries every branch.");

    /** The vm block's quirk setting and the quirk it names (docs/language.md, "The machine"). */
    private static final Map<String, String> QUIRKS = Map.of(
            "quirk", "`quirk NAME on|off`: a `KVM_X86_QUIRK_*` of the VM. Quirks are on unless userspace disables them"
                    + " with `KVM_CAP_DISABLE_QUIRKS2`; the model has `slot_zap_all`.",
            "slot_zap_all", "`KVM_X86_QUIRK_SLOT_ZAP_ALL` (v6.12; on by default): a memslot delete or move runs"
                    + " `kvm_mmu_zap_all_fast` (every root invalidated, the vCPUs reload); `off` zaps the slot's leaves"
                    + " alone (`kvm_mmu_zap_memslot`). Before v6.12 (`kernel 5.10`, `5.12`) every delete zaps all.");

    static Optional<Hover> at(String uri, String text, int line, int character) {
        Outline outline = new Outline(text);
        Optional<Token> token = outline.tokenAt(line, character);
        if (token.isEmpty()) {
            return Optional.empty();
        }
        String word = token.get().getText();
        PinnedKernel kernel = outline.kernelAt(uri, line, character);
        Optional<String> prelude = PreludeFiles.doc(kernel, word);
        // The file's own path first: one with a kernel path's name replaces the prelude's here (not
        // in a prelude file go-to-definition opened: its paths are the prelude's).
        String markdown = label(uri, text, line, character).or(() -> outline.path(word).filter(d -> PreludeFiles.versionOfCopy(uri).isEmpty())
                .map(d -> "**" + word + "** · path\n\nDeclared in this file at line " + d.token().getLine()
                        + (prelude.isPresent() ? ": it replaces the kernel path of the prelude." : ".")))
                .or(() -> Builtins.lookup(word).map(b -> builtin(word, b, kernel.version())
                        + prelude.map(d -> "\n\n---\n\n" + d).orElse("")))
                .or(() -> prelude.map(d -> "**" + word + "** · kernel path (prelude)\n\n" + d))
                .or(() -> Optional.ofNullable(LOCKS.get(word)).map(d -> "**" + word + "** · lock\n\n" + d))
                .or(() -> Optional.ofNullable(STATEMENTS.get(word)).map(d -> "**" + word + "** · statement\n\n" + d))
                .or(() -> Optional.ofNullable(QUIRKS.get(word)).map(d -> "**" + word + "** · vm setting\n\n" + d))
                .or(() -> kernelSetting(outline, token.get(), kernel))
                .orElse(null);
        if (markdown == null) {
            return Optional.empty();
        }
        Token t = token.get();
        Range range = new Range(new Position(t.getLine() - 1, t.getCharPositionInLine()),
                new Position(t.getLine() - 1, t.getCharPositionInLine() + word.length()));
        return Optional.of(new Hover(new MarkupContent(MarkupKind.MARKDOWN, markdown), range));
    }

    /** On a goto's label, the line it lands on; on a label, the lines of the gotos that jump to it. */
    private static Optional<String> label(String uri, String text, int line, int character) {
        return Occurrences.of(uri, text).at(line, character).filter(s -> s.kind == Occurrences.Kind.LABEL && s.declaration != null).map(s -> {
            Pos d = s.declaration;
            boolean onGoto = !(d.line() - 1 == line && d.column() - 1 <= character && character <= d.column() - 1 + s.name.length());
            String gotos = s.uses.stream().map(p -> Integer.toString(p.line())).collect(Collectors.joining(", "));
            return "**" + s.name + "** · label\n\n" + (onGoto
                    ? "`goto " + s.name + "` lands at `" + s.name + ":`, line " + d.line() + "."
                    : s.uses.isEmpty() ? "No goto jumps here." : "Jumped to by the goto" + (s.uses.size() > 1 ? "s" : "")
                            + " at line" + (s.uses.size() > 1 ? "s " : " ") + gotos + ".");
        });
    }

    /**
     * On {@code kernel V} of a vm block (the word or the version): what it selects, and which
     * version answers here, as it may not be the one under the cursor (a later line wins).
     */
    private static Optional<String> kernelSetting(Outline outline, Token t, PinnedKernel kernel) {
        List<Token> before = outline.tokensBefore(t.getLine() - 1, t.getCharPositionInLine() + t.getText().length());
        boolean setting = t.getType() == MmuLexer.KERNEL || PinnedKernel.kernelSettingEndingIn(before) >= 0;
        if (!setting) return Optional.empty();
        return Optional.of("**kernel** · vm setting\n\n`kernel V`: which kernel's text the scenario runs where the prelude's"
                + " functions differ between versions: " + String.join(", ", Prelude.VERSIONS) + ", or `latest` (the default, "
                + Prelude.LATEST + "). `mmu show NAME --kernel V` prints a kernel path's text.\n\nHere: kernel "
                + kernel.version() + " (" + kernel.why() + "). Hover, completion and go to definition of kernel paths"
                + " answer with its prelude.");
    }

    /** A built-in's hover; a kernel path's signature is its prelude path's in the version (7.2's NX recovery takes mmu_type). */
    private static String builtin(String word, Builtin b, String version) {
        StringBuilder md = new StringBuilder();
        md.append("**").append(word).append("** · ").append(kindLabel(b.kind()));
        if (!word.equals(b.name())) {
            md.append(" (alias of `").append(b.name()).append("`)");
        }
        md.append("\n\n");
        Optional<String> prelude = b.kind() == Kind.KERNEL_PATH ? PreludeFiles.parameters(version, word) : Optional.empty();
        if (prelude.isPresent()) {
            md.append("```mmu\n").append(word).append(prelude.get()).append("\n```\n\n");
        } else if (b.kind() == Kind.KERNEL_PATH || b.kind() == Kind.PRIMITIVE || b.kind() == Kind.QUERY) {
            md.append("```mmu\n").append(b.name()).append('(')
                    .append(b.params().stream().map(Builtins.Param::text)
                            .collect(Collectors.joining(", ")))
                    .append(')');
            if (b.returns() != dev.mmu.interp.check.Type.VOID) {
                md.append(" -> ").append(b.returns().display);
            }
            md.append("\n```\n\n");
        }
        if (!b.kernelFunction().startsWith("(")) { // "(invariant)", "(model state)": no kernel function
            md.append("Models `").append(b.kernelFunction()).append('`')
                    .append(b.kernelVersion().isEmpty() ? "" : " (" + b.kernelVersion() + ")").append(".\n\n");
        }
        md.append(capitalised(b.doc())).append('.');
        if (b.kind() == Kind.PRIMITIVE) {
            // The other version's name of a renamed primitive: the checker's error, before it is run.
            renamedNote(version, word).ifPresent(n -> md.append("\n\n").append(n));
        }
        if (b.lock().asserts()) {
            md.append("\n\nNeeds ").append(b.lock().describe().replaceAll("\\b(\\w+_lock(?:\\(\\))?)", "`$1`")).append('.');
        }
        return md.toString();
    }

    static String kindLabel(Kind kind) {
        return switch (kind) {
            case KERNEL_PATH -> "kernel path";
            case PRIMITIVE -> "primitive";
            case QUERY -> "query";
            case GLOBAL -> "global";
            case INVARIANT -> "invariant";
            case STAT -> "stat";
            case METRIC -> "metric";
        };
    }

    /** For the other version's name of a renamed primitive, what the checker will say of it. */
    static Optional<String> renamedNote(String version, String name) {
        return Prelude.primitiveRenamedIn(version, name).map(own -> "Kernel " + version + " calls it `" + own
                + "`: this name is kernel " + Prelude.primitiveRename(name).orElseThrow().versionsOf(name) + "'s, an error here.");
    }

    /**
     * A doc's first letter capitalised, unless it starts with a kernel name, which is kept as code:
     * "kvm->stat.nx_lpage_splits: ..." read "Kvm->stat.nx_lpage_splits: ...".
     */
    static String capitalised(String s) {
        java.util.regex.Matcher code = java.util.regex.Pattern.compile("^([\\w>\\[\\]().-]*(_|->)[\\w>\\[\\]().-]*)(?=[:,' ]|$)")
                .matcher(s);
        if (code.find()) return "`" + code.group(1) + "`" + s.substring(code.end());
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
