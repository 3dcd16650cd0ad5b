package dev.mmu.interp.check;

import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Scenario;
import java.util.List;
import java.util.Map;

/**
 * One runnable scenario: a plain scenario, or one row of an outline. Its expressions may name
 * the row's outline values; {@code row} gives their values. {@code paths} are the user paths it
 * may call (scenario-local ones shadowing file-level and imported ones).
 */
public record CheckedScenario(
        String name,                   // the scenario name, plus " [x=1, y=2]" for an outline row
        List<String> tags,
        Scenario scenario,
        Map<String, Long> row,         // outline variable → value; empty for a plain scenario
        Machine machine,
        Map<String, PathDecl> paths,
        List<GlobalDecl> globals) {    // the shared variables its threads may use, by index
}
