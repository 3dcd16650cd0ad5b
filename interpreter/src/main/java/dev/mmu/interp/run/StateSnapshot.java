package dev.mmu.interp.run;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a VM state a person draws: page tables from the root down to leaf SPTEs, tables
 * unlinked but not yet freed, and each vCPU's TLB. Plain data, so a drawing needs no runtime types.
 *
 * @param root id of the current root table, -1 if none
 * @param tables every table not yet freed, ascending by id
 * @param tlbs per vCPU, its cached translations as text
 */
public record StateSnapshot(int root, List<Table> tables, List<List<String>> tlbs) {

    /**
     * One page table.
     *
     * @param id shadow-page id ("sp3")
     * @param level level of the SPTEs it holds (1 = 4K)
     * @param gfn first gfn it maps
     * @param linked reachable from the root
     * @param flags "invalid", "nx_huge_page_disallowed", "unlinked", as they apply
     * @param entries its non-zero SPTEs
     */
    public record Table(int id, int level, long gfn, boolean linked, List<String> flags, List<Entry> entries) {}

    /**
     * One non-zero SPTE.
     *
     * @param index index in its table
     * @param gfn first gfn it maps
     * @param text Spte.describe ("4K pfn 0x1001 rw-", "table sp2")
     * @param child id of the table it points to, -1 for a leaf
     */
    public record Entry(int index, long gfn, String text, int child) {}

    public static StateSnapshot of(VmState s) {
        boolean[] linked = new boolean[s.spCapacity()];
        mark(s, s.root, linked);
        List<Table> tables = new ArrayList<>();
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null) continue;
            List<String> flags = new ArrayList<>();
            if (sp.invalid) flags.add("invalid");
            if (sp.nxHugePageDisallowed) flags.add("nx_huge_page_disallowed");
            if (sp.status == ShadowPage.UNLINKED) flags.add("unlinked");
            List<Entry> entries = new ArrayList<>();
            for (int i : sp.usedIndexes()) {
                long spte = sp.spte(i);
                boolean table = Spte.present(spte) && !Spte.leaf(spte);
                entries.add(new Entry(i, sp.gfnOf(i), Spte.describe(spte, sp.level), table ? Spte.child(spte) : -1));
            }
            tables.add(new Table(id, sp.level, sp.gfn, linked[id], flags, entries));
        }
        List<List<String>> tlbs = new ArrayList<>();
        for (TlbEntry[] vcpu : s.tlb) {
            List<String> lines = new ArrayList<>();
            for (TlbEntry e : vcpu) {
                lines.add("gfn 0x" + Long.toHexString(e.gfn()) + " -> pfn 0x" + Long.toHexString(e.pfn()) + " "
                        + dev.mmu.runtime.model.Level.size(e.level()) + " r" + (e.writable() ? "w" : "-")
                        + (e.exec() ? "x" : "-"));
            }
            tlbs.add(lines);
        }
        return new StateSnapshot(s.root, tables, tlbs);
    }

    private static void mark(VmState s, int id, boolean[] linked) {
        ShadowPage sp = s.sp(id);
        if (sp == null || linked[id]) return;
        linked[id] = true;
        for (int i : sp.usedIndexes()) {
            long spte = sp.spte(i);
            if (Spte.present(spte) && !Spte.leaf(spte)) mark(s, Spte.child(spte), linked);
        }
    }

    public Table table(int id) {
        for (Table t : tables) if (t.id == id) return t;
        return null;
    }
}
