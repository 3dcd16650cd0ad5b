package dev.mmu.interp.junit;

import dev.mmu.interp.compile.CompiledScenario;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.FilePosition;
import org.junit.platform.engine.support.descriptor.FileSource;

/**
 * One scenario, or one outline row: a test. Its source is the scenario's line, so an IDE jumps
 * there; its unique id ends in [scenario:NAME], so a launcher can select it alone.
 */
final class ScenarioDescriptor extends AbstractTestDescriptor {
    static final String SEGMENT = "scenario";

    final CompiledScenario scenario;

    ScenarioDescriptor(UniqueId id, String displayName, Path file, CompiledScenario scenario) {
        super(id, displayName, FileSource.from(file.toAbsolutePath().toFile(),
                FilePosition.from(scenario.source().scenario().pos().line(), scenario.source().scenario().pos().column())));
        this.scenario = scenario;
    }

    @Override
    public Type getType() {
        return Type.TEST;
    }

    @Override
    public Set<TestTag> getTags() {
        Set<TestTag> tags = new LinkedHashSet<>();
        for (String t : scenario.source().tags()) if (TestTag.isValid(t)) tags.add(TestTag.create(t));
        return tags;
    }
}
