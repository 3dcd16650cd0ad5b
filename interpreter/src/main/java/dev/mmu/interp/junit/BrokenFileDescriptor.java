package dev.mmu.interp.junit;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.grammar.MmuLexer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.FilePosition;
import org.junit.platform.engine.support.descriptor.FileSource;

/**
 * A file that does not compile: one test that fails with the diagnostics, so the build goes red
 * and says why, instead of discovery crashing or the file silently running nothing. It carries
 * every tag written in the file, so that a tag filter selecting one of its scenarios
 * ({@code -Dgroups=quick}) reports it, as {@code mmu test --tags} does.
 */
final class BrokenFileDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "diagnostics";

    final String diagnostics;
    private final Path file;

    BrokenFileDescriptor(UniqueId id, String displayName, Path file, Diagnostic first, String diagnostics) {
        super(id, displayName, first == null ? FileSource.from(file.toAbsolutePath().toFile())
                : FileSource.from(file.toAbsolutePath().toFile(), FilePosition.from(first.pos().line(), first.pos().column())));
        this.diagnostics = diagnostics;
        this.file = file;
    }

    @Override
    public Type getType() {
        return Type.TEST;
    }

    /** The tags written in the file, read by the lexer: a file that does not parse still lexes. */
    @Override
    public Set<TestTag> getTags() {
        Set<TestTag> tags = new LinkedHashSet<>();
        try {
            MmuLexer lexer = new MmuLexer(CharStreams.fromString(Files.readString(file)));
            lexer.removeErrorListeners();
            for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
                String tag = t.getType() == MmuLexer.TAG ? t.getText().substring(1) : null;
                if (tag != null && TestTag.isValid(tag)) tags.add(TestTag.create(tag));
            }
        } catch (IOException | RuntimeException e) {
            return tags; // unreadable: the diagnostics say so; no tag to match
        }
        return tags;
    }
}
