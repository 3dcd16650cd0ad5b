package dev.mmu.interp.junit;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.grammar.MmuLexer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.FilePosition;
import org.junit.platform.engine.support.descriptor.FileSource;

/**
 * A file that does not compile: a test that fails with the diagnostics, so the build goes red
 * and says why, instead of discovery crashing or the file silently running nothing. There is one
 * per distinct tag set of the file's scenario headers (read by the lexer: a file that does not
 * parse still lexes), each carrying that set, so that any tag filter selecting one of its
 * scenarios reports the file: {@code -Dgroups=quick} the @quick one's, {@code -Dgroups='!slow'}
 * the untagged one's (one tag set for the whole file cannot match both).
 */
final class BrokenFileDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "diagnostics";

    final String diagnostics;
    private final Set<TestTag> tags;

    BrokenFileDescriptor(UniqueId id, String displayName, Path file, Diagnostic first, String diagnostics,
                         Set<TestTag> tags) {
        super(id, displayName, first == null ? FileSource.from(file.toAbsolutePath().toFile())
                : FileSource.from(file.toAbsolutePath().toFile(), FilePosition.from(first.pos().line(), first.pos().column())));
        this.diagnostics = diagnostics;
        this.tags = tags;
    }

    @Override
    public Type getType() {
        return Type.TEST;
    }

    @Override
    public Set<TestTag> getTags() {
        return tags;
    }

    /**
     * The distinct tag sets of the file's scenario headers ({@code @a @b scenario ...}), in file
     * order; one empty set for a file with no header or that cannot be read.
     */
    static List<Set<TestTag>> tagSets(Path file) {
        Set<Set<TestTag>> sets = new LinkedHashSet<>();
        try {
            MmuLexer lexer = new MmuLexer(CharStreams.fromString(Files.readString(file)));
            lexer.removeErrorListeners();
            Set<TestTag> header = new LinkedHashSet<>();
            for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
                if (t.getType() == MmuLexer.TAG && TestTag.isValid(t.getText().substring(1))) {
                    header.add(TestTag.create(t.getText().substring(1)));
                } else if (t.getType() == MmuLexer.SCENARIO) {
                    sets.add(Set.copyOf(header));
                    header.clear();
                } else if (t.getType() != MmuLexer.TAG) {
                    header.clear(); // tags belong to the scenario header they precede
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: the diagnostics say so; no tag to match
        }
        return sets.isEmpty() ? List.of(Set.of()) : List.copyOf(sets);
    }
}
