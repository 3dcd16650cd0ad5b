package dev.mmu.interp.fmt;

import dev.mmu.interp.ast.Pos;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Optional;

/**
 * An AST as text with every position left out: two files with equal shapes mean the same
 * thing. {@code mmu fmt} compares the shape before and after formatting and refuses to write a
 * file whose meaning would change.
 */
public final class AstShape {

    private AstShape() {
    }

    public static String of(Object node) {
        StringBuilder out = new StringBuilder();
        append(node, out);
        return out.toString();
    }

    private static void append(Object node, StringBuilder out) {
        if (node instanceof Record r) {
            out.append(r.getClass().getSimpleName()).append('(');
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                if (c.getType() == Pos.class) {
                    continue;
                }
                try {
                    append(c.getAccessor().invoke(r), out);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
                out.append(' ');
            }
            out.append(')');
        } else if (node instanceof Collection<?> list) {
            out.append('[');
            list.forEach(x -> {
                append(x, out);
                out.append(',');
            });
            out.append(']');
        } else if (node instanceof Optional<?> o) {
            out.append(o.isPresent() ? "?" : "-");
            o.ifPresent(x -> append(x, out));
        } else {
            out.append(node);
        }
    }
}
