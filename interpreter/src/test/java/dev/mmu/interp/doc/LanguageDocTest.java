package dev.mmu.interp.doc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.check.LoadResult;
import dev.mmu.interp.check.Type;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.fmt.AstShape;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.paths.Lockdep;
import dev.mmu.runtime.paths.Primitive;
import dev.mmu.runtime.paths.Primitives;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/language.md cannot go stale: every ```mmu block in it parses and checks, and compiles for
 * the runtime unless it says "# not modelled by the runtime yet" (then the runtime must still
 * refuse it, so the note goes when the runtime catches up). A block with
 * "# expect error: LINE:COL message" comments must produce exactly those diagnostics.
 */
class LanguageDocTest {

    private static final Path DOC = Path.of("../docs/language.md");
    private static final Pattern EXPECT = Pattern.compile("#\\s*expect error: (\\d+:\\d+ .*)$");
    private static final String NOT_MODELLED = "# not modelled by the runtime yet";

    @TempDir
    static Path dir;

    record Block(int line, String text) {
    }

    static List<Block> blocks() throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("```mmu")) {
                int start = i + 1;
                StringBuilder text = new StringBuilder();
                for (i = start; !lines.get(i).strip().equals("```"); i++) {
                    text.append(lines.get(i)).append('\n');
                }
                blocks.add(new Block(start + 1, text.toString()));
            }
        }
        return blocks;
    }

    @TestFactory
    Stream<DynamicTest> everyMmuBlockParsesAndChecks() throws IOException {
        List<Block> blocks = blocks();
        assertThat(blocks).hasSizeGreaterThan(10);
        return blocks.stream().map(b -> DynamicTest.dynamicTest("language.md:" + b.line(), () -> check(b)));
    }

    private static void check(Block b) throws IOException {
        Path file = dir.resolve("block-" + b.line() + ".mmu");
        Files.writeString(file, b.text());
        List<String> expected = b.text().lines().map(EXPECT::matcher).filter(Matcher::find)
                .map(m -> m.group(1).strip()).toList();
        LoadResult checked = new Frontend().load(file);
        List<String> actual = checked.diagnostics().stream().filter(Diagnostic::isError)
                .map(d -> d.pos().line() + ":" + d.pos().column() + " " + d.message()).toList();
        formatsIdempotently(b);
        if (!expected.isEmpty()) {
            assertThat(actual).as("diagnostics of the block at line " + b.line()).containsExactlyInAnyOrderElementsOf(expected);
            return;
        }
        assertThat(actual).as("the block at line " + b.line() + " must check").isEmpty();
        if (checked.scenarios().isEmpty()) {
            return; // a file of paths only
        }
        Loaded compiled = ScenarioLoader.load(file);
        List<String> refused = compiled.diagnostics().stream().map(Diagnostic::message).toList();
        if (b.text().contains(NOT_MODELLED)) {
            assertThat(refused).as("the block at line " + b.line() + " says the runtime refuses it")
                    .anyMatch(m -> m.contains("not modelled by the runtime yet") || m.contains("not checked by the runtime yet"));
        } else {
            assertThat(refused).as("the block at line " + b.line() + " must compile for the runtime").isEmpty();
        }
    }

    /** The doc's examples are also fmt inputs: formatting keeps their meaning and is stable. */
    private static void formatsIdempotently(Block b) {
        var ast = SourceParser.parse("block.mmu", b.text(), new Diagnostics());
        if (ast.isEmpty()) {
            return;
        }
        String once = Formatter.format(ast.get(), b.text());
        var again = SourceParser.parse("block.mmu", once, new Diagnostics()).orElseThrow();
        assertThat(AstShape.of(again)).isEqualTo(AstShape.of(ast.get()));
        assertThat(Formatter.format(again, once)).isEqualTo(once);
    }

    @Test
    void everyBuiltInNameIsDocumented() throws IOException {
        String doc = Files.readString(DOC);
        for (Builtins.Kind kind : List.of(Builtins.Kind.KERNEL_PATH, Builtins.Kind.PRIMITIVE, Builtins.Kind.QUERY,
                Builtins.Kind.INVARIANT, Builtins.Kind.STAT, Builtins.Kind.METRIC)) {
            for (String name : Builtins.namesOf(kind)) {
                assertThat(doc).as(kind + " " + name).contains("`" + name);
            }
        }
        for (Builtins.Builtin b : Builtins.ofKind(Builtins.Kind.KERNEL_PATH)) {
            assertThat(doc).as("the kernel function " + b.name() + " models")
                    .contains(b.kernelFunction().replaceAll(" .*", ""));
        }
    }
    /**
     * §6's table of primitives agrees with the runtime's registry: the same primitives, each with
     * its parameters in order (and defaults), the kernel function it mirrors, its lock and its
     * return type.
     */
    @Test
    void primitivesTableIsTheRegistrys() throws IOException {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        Pattern call = Pattern.compile("`(\\w+)\\(([^)]*)\\)`");
        for (List<String> cells : table("| primitive |")) {
            Matcher m = call.matcher(cells.get(0));
            while (m.find()) {
                List<String> row = new ArrayList<>(cells);
                row.set(0, m.group(2));
                rows.put(m.group(1), row);
            }
        }
        assertThat(rows.keySet()).as("the primitives in docs/language.md §6")
                .containsExactlyInAnyOrderElementsOf(Primitives.all().keySet());
        for (Primitive p : Primitives.all().values()) {
            List<String> row = rows.get(p.name());
            String params = String.join(", ", p.params().stream().map(q -> q.name()
                    + (q.defaultValue().isEmpty() ? "" : " = " + literal(q.type(), q.defaultValue().getAsLong()))).toList());
            assertThat(row.get(0)).as("the parameters of %s", p.name()).isEqualTo(params);
            assertThat(row.get(1)).as("what %s models", p.name()).contains("`" + p.kernel() + "`");
            assertThat(row.get(2)).as("the lock %s asserts", p.name()).isEqualTo(lock(p.lockdep()));
            assertThat(row.get(3)).as("what %s returns", p.name())
                    .startsWith(p.returns() == Primitive.Type.VOID ? "—" : p.returns().word);
        }
    }

    /** §5's table of kernel paths agrees with the checker's: names, aliases, kernel functions, arguments. */
    @Test
    void kernelPathsTableIsTheCheckers() throws IOException {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (List<String> cells : table("| kernel path |")) {
            rows.put(cells.get(0), cells);
        }
        Set<String> documented = new TreeSet<>();
        rows.keySet().forEach(names -> Pattern.compile("`(\\w+)`").matcher(names).results()
                .forEach(m -> documented.add(m.group(1))));
        assertThat(documented).as("the kernel paths and aliases in docs/language.md §5")
                .containsExactlyInAnyOrderElementsOf(Builtins.namesOf(Builtins.Kind.KERNEL_PATH));
        for (Builtins.Builtin b : Builtins.ofKind(Builtins.Kind.KERNEL_PATH)) {
            List<String> row = rows.entrySet().stream().filter(e -> e.getKey().startsWith("`" + b.name() + "`"))
                    .map(Map.Entry::getValue).findFirst().orElseThrow();
            assertThat(row.get(1)).as("what %s models", b.name()).contains("`" + b.kernelFunction().replaceAll(" .*", "") + "`");
            String args = b.params().isEmpty() ? "—" : String.join(", ", b.params().stream()
                    .map(p -> p.type() == Type.RANGE ? "gpa range" : p.name()).toList());
            assertThat(row.get(2)).as("the arguments of %s", b.name()).isEqualTo(args);
        }
    }

    /** The rows of the table whose header starts so, as cells without the outer bars. */
    private static List<List<String>> table(String header) throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        int at = lines.stream().filter(l -> l.startsWith(header)).findFirst().map(lines::indexOf).orElseThrow();
        List<List<String>> rows = new ArrayList<>();
        for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String line = lines.get(i).strip();
            rows.add(Stream.of(line.substring(1, line.length() - 1).split("(?<!\\\\)\\|")).map(String::strip).toList());
        }
        return rows;
    }

    private static String lock(Lockdep l) {
        String held = switch (l.mode()) {
            case NONE -> "—";
            case HELD -> l.lock() == LockId.mmu_lock ? "read or write" : "`" + l.lock() + "`";
            case READ -> "read";
            case WRITE -> "write";
            case MMU_WRITE_OR -> "write, or `" + l.lock() + "` held";
        };
        if (l.rcu() && l.mode() == Lockdep.Mode.NONE) return "`rcu_read_lock()` only"; // __tdp_mmu_set_spte_atomic
        return l.rcu() ? held + ", and `rcu_read_lock()`" : held;
    }

    private static String literal(Primitive.Type type, long v) {
        return type == Primitive.Type.BOOL ? Boolean.toString(v != 0) : Long.toString(v);
    }
}
