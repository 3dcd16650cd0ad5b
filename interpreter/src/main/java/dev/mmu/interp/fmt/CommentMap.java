package dev.mmu.interp.fmt;

import dev.mmu.interp.parse.SourceLayout;
import dev.mmu.interp.parse.SourceLayout.Comment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Ties each comment to an anchor: an item the formatter prints at the start of a line (an
 * import, a path, a scenario and each of its members, a statement) or a closing brace. A comment
 * after code trails the last anchor that starts on its line; any other comment (alone on its
 * line, or after code that starts no anchor, such as {@code vm {}) leads the next anchor. Each
 * anchor so gets at most one trailing comment, and the result does not move when formatted
 * again. Anchors are found by a first formatting pass with a {@link Recorder}, so the formatter
 * and this map never disagree on what an anchor is.
 */
class CommentMap {

    private final Map<Long, List<Comment>> leading = new HashMap<>();
    private final Map<Long, List<String>> trailing = new HashMap<>();
    private final List<Comment> atEnd = new ArrayList<>();
    private final TreeSet<Long> positions = new TreeSet<>(); // every comment's position

    /** Comments alone on their lines just before the anchor at {@code key}. */
    List<Comment> leading(long key) {
        return leading.getOrDefault(key, List.of());
    }

    /** Comments at the end of the anchor's line. */
    List<String> trailing(long key) {
        return trailing.getOrDefault(key, List.of());
    }

    /** Marks an anchor printed without asking for its comments (it has none). */
    void visit(long key) {
    }

    boolean has(long key) {
        return leading.containsKey(key) || trailing.containsKey(key);
    }

    /** Whether a comment sits between two source positions (a block's braces). */
    boolean within(long open, long close) {
        Long next = positions.higher(open);
        return next != null && next < close;
    }

    /** Comments after the last anchor. */
    List<Comment> atEnd() {
        return atEnd;
    }

    /** The first pass: answers "no comments" everywhere and remembers every anchor asked about. */
    static final class Recorder extends CommentMap {

        private final TreeSet<Long> anchors = new TreeSet<>();

        @Override
        List<Comment> leading(long key) {
            record(key);
            return List.of();
        }

        @Override
        List<String> trailing(long key) {
            record(key);
            return List.of();
        }

        @Override
        void visit(long key) {
            record(key);
        }

        @Override
        boolean has(long key) {
            record(key);
            return false;
        }

        private void record(long key) {
            if (key >= 0) {
                anchors.add(key);
            }
        }

        CommentMap assign(List<Comment> comments) {
            CommentMap map = new CommentMap();
            for (Comment c : comments) {
                long at = SourceLayout.key(c.line(), c.column());
                map.positions.add(at);
                Long next = anchors.higher(at);
                Long previous = anchors.lower(at);
                boolean sameLine = previous != null && (previous >>> 32) == c.line();
                if (!c.ownLine() && sameLine) {
                    map.trailing.computeIfAbsent(previous, k -> new ArrayList<>()).add(c.text());
                } else if (next != null) {
                    map.leading.computeIfAbsent(next, k -> new ArrayList<>()).add(c);
                } else {
                    map.atEnd.add(c);
                }
            }
            return map;
        }
    }
}
