package dev.mmu.interp.report;

import dev.mmu.interp.run.StateSnapshot;
import dev.mmu.interp.run.StateSnapshot.Entry;
import dev.mmu.interp.run.StateSnapshot.Table;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Draws one VM state as inline SVG: the page-table tree from the root (one column per depth, an
 * arrow from each non-leaf SPTE to its child table), tables unlinked but not yet freed in a last
 * column, and each vCPU's TLB below. What changed since {@code before} is drawn in red; what is
 * gone by {@code after} is struck through.
 */
final class SvgStateDrawing {
    private static final int BOX_W = 230;
    private static final int GAP = 46;
    private static final int ROW = 16;
    private static final int HEAD = 20;
    private static final int MARGIN = 10;

    private final StringBuilder svg = new StringBuilder();
    private final Map<Integer, int[]> boxes = new HashMap<>(); // table id -> {x, y}
    private final int[] columnY = new int[16];

    private SvgStateDrawing() {}

    /** @param id unique in the page: names the arrowhead marker */
    static String draw(StateSnapshot s, StateSnapshot before, String title, String id) {
        return draw(s, before, null, title, id);
    }

    static String draw(StateSnapshot s, StateSnapshot before, StateSnapshot after, String title, String id) {
        SvgStateDrawing d = new SvgStateDrawing();
        d.marker = "head-" + id;
        if (after != null) {
            d.gone = keys(s);
            d.gone.removeAll(keys(after));
        }
        return d.render(s, before, title);
    }

    /** Keys of this state's parts that the next state no longer has. */
    private Set<String> gone = Set.of();

    private String marker;

    private String render(StateSnapshot s, StateSnapshot before, String title) {
        Set<String> changed = changes(s, before);
        List<Table> order = new ArrayList<>();
        List<Integer> depth = new ArrayList<>();
        walk(s, s.root(), 0, order, depth, new HashSet<>());
        int maxCol = 0;
        for (int i = 0; i < order.size(); i++) maxCol = Math.max(maxCol, depth.get(i));
        List<Table> unlinked = new ArrayList<>();
        for (Table t : s.tables()) if (!t.linked()) unlinked.add(t);
        int unlinkedCol = order.isEmpty() ? 0 : maxCol + 1;
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < order.size(); i++) place(order.get(i), depth.get(i), body, changed);
        for (Table t : unlinked) place(t, unlinkedCol, body, changed);
        int cols = unlinked.isEmpty() ? (order.isEmpty() ? 1 : maxCol + 1) : unlinkedCol + 1;
        int treeBottom = 0;
        for (int y : columnY) treeBottom = Math.max(treeBottom, y);
        treeBottom = Math.max(treeBottom, MARGIN + 30);
        // Arrows from each non-leaf entry to its child's header.
        for (Table t : s.tables()) {
            int[] from = boxes.get(t.id());
            if (from == null) continue;
            for (int k = 0; k < t.entries().size(); k++) {
                Entry e = t.entries().get(k);
                int[] to = boxes.get(e.child());
                if (e.child() < 0 || to == null) continue;
                int x1 = from[0] + BOX_W;
                int y1 = from[1] + HEAD + k * ROW + ROW / 2;
                int x2 = to[0];
                int y2 = to[1] + HEAD / 2;
                body.append(String.format("<path d=\"M%d %d C%d %d %d %d %d %d\" class=\"arrow\" marker-end=\"url(#%s)\"/>%n",
                        x1, y1, x1 + GAP / 2, y1, x2 - GAP / 2, y2, x2 - 2, y2, marker));
            }
        }
        // TLBs below the tree.
        int y = treeBottom + 14;
        int tlbX = MARGIN;
        int tlbBottom = y;
        for (int v = 0; v < s.tlbs().size(); v++) {
            List<String> lines = s.tlbs().get(v);
            int h = HEAD + Math.max(1, lines.size()) * ROW + 4;
            body.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"tlb\"/>%n", tlbX, y, BOX_W, h));
            body.append(text(tlbX + 6, y + 14, "vCPU " + v + " TLB", "head"));
            if (lines.isEmpty()) body.append(text(tlbX + 6, y + HEAD + 12, "(empty)", "dim"));
            for (int i = 0; i < lines.size(); i++) {
                String key = "tlb" + v + ":" + lines.get(i);
                String cls = changed.contains(key) ? "changed" : gone.contains(key) ? "gone" : "";
                body.append(text(tlbX + 6, y + HEAD + 12 + i * ROW, lines.get(i), cls));
            }
            tlbBottom = Math.max(tlbBottom, y + h);
            tlbX += BOX_W + GAP / 2;
        }
        int width = Math.max(cols * (BOX_W + GAP), tlbX) + MARGIN;
        int height = tlbBottom + MARGIN;
        svg.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"state\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">%n", width, height, width, height, esc(title)));
        svg.append("<defs><marker id=\"" + marker + "\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\">"
                + "<path d=\"M0 0 L8 4 L0 8 z\" class=\"arrowhead\"/></marker></defs>\n");
        if (order.isEmpty() && unlinked.isEmpty()) svg.append(text(MARGIN, MARGIN + 14, "no page tables", "dim"));
        svg.append(body).append("</svg>\n");
        return svg.toString();
    }

    private static void walk(StateSnapshot s, int id, int d, List<Table> order, List<Integer> depth, Set<Integer> seen) {
        Table t = s.table(id);
        if (t == null || !seen.add(id)) return;
        order.add(t);
        depth.add(Math.min(d, 15));
        for (Entry e : t.entries()) if (e.child() >= 0) walk(s, e.child(), d + 1, order, depth, seen);
    }

    private void place(Table t, int col, StringBuilder body, Set<String> changed) {
        int x = MARGIN + col * (BOX_W + GAP);
        int y = Math.max(columnY[col], MARGIN);
        boxes.put(t.id(), new int[] {x, y});
        int h = HEAD + Math.max(1, t.entries().size()) * ROW + 4;
        String cls = t.linked() ? "table" : "table unlinked";
        if (t.flags().contains("invalid")) cls += " invalid";
        body.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"%s\"/>%n", x, y, BOX_W, h, cls));
        String head = "sp" + t.id() + "  L" + t.level() + "  gfn 0x" + Long.toHexString(t.gfn());
        if (t.flags().contains("nx_huge_page_disallowed")) head += "  nx";
        if (t.flags().contains("invalid")) head += "  invalid";
        if (!t.linked()) head += "  unlinked";
        body.append(text(x + 6, y + 14, head, changed.contains("sp" + t.id()) || changed.contains("sp" + t.id() + (t.linked() ? "" : "u") + t.flags())
                ? "head changed" : "head"));
        if (t.entries().isEmpty()) body.append(text(x + 6, y + HEAD + 12, "(no SPTEs)", "dim"));
        for (int k = 0; k < t.entries().size(); k++) {
            Entry e = t.entries().get(k);
            String line = "[" + e.index() + "] " + e.text();
            String key = "sp" + t.id() + "[" + e.index() + "]=" + e.text();
            String style = changed.contains(key) ? "changed" : gone.contains(key) ? "gone" : "";
            body.append(text(x + 6, y + HEAD + 12 + k * ROW, line, style));
        }
        columnY[col] = y + h + 10;
    }

    /** Keys of what differs from before: new tables, new or changed SPTEs, new TLB entries. */
    private static Set<String> changes(StateSnapshot s, StateSnapshot before) {
        Set<String> now = keys(s);
        if (before == null) return Set.of();
        now.removeAll(keys(before));
        return now;
    }

    private static Set<String> keys(StateSnapshot s) {
        Set<String> k = new HashSet<>();
        for (Table t : s.tables()) {
            k.add("sp" + t.id() + (t.linked() ? "" : "u") + t.flags());
            k.add("sp" + t.id());
            for (Entry e : t.entries()) k.add("sp" + t.id() + "[" + e.index() + "]=" + e.text());
        }
        for (int v = 0; v < s.tlbs().size(); v++) for (String l : s.tlbs().get(v)) k.add("tlb" + v + ":" + l);
        return k;
    }

    private static String text(int x, int y, String s, String cls) {
        return String.format("<text x=\"%d\" y=\"%d\"%s>%s</text>%n", x, y, cls.isEmpty() ? "" : " class=\"" + cls + "\"", esc(s));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
