package dev.mmu.interp.junit;

import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.EngineExecutionListener;
import org.junit.platform.engine.ExecutionRequest;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestEngine;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.EngineDescriptor;
import org.opentest4j.AssertionFailedError;

/**
 * Runs .mmu scenarios on the JUnit Platform (engine id "mmu"): one container per file, one test
 * per scenario or outline row. Maven Surefire finds the files through a trigger class annotated
 * {@link MmuScenarios}; IDEs and launchers may also select directories, files or unique ids.
 */
public final class MmuTestEngine implements TestEngine {
    public static final String ID = "mmu";

    private final ScenarioRunner runner;

    public MmuTestEngine() {
        this(new ScenarioRunner());
    }

    /** An engine that runs scenarios with the given runner (tests inject faults through its overrides). */
    MmuTestEngine(ScenarioRunner runner) {
        this.runner = runner;
    }

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public TestDescriptor discover(EngineDiscoveryRequest request, UniqueId uniqueId) {
        EngineDescriptor engine = new EngineDescriptor(uniqueId, "mmu scenarios");
        new Discovery(engine).resolve(request);
        return engine;
    }

    @Override
    public void execute(ExecutionRequest request) {
        EngineExecutionListener listener = request.getEngineExecutionListener();
        execute(runner, request.getRootTestDescriptor(), listener);
    }

    /** Containers (engine, trigger class, file) in order, then each test. */
    private static void execute(ScenarioRunner runner, TestDescriptor d, EngineExecutionListener listener) {
        listener.executionStarted(d);
        if (d.isTest()) {
            listener.executionFinished(d, run(runner, d, listener));
            return;
        }
        for (TestDescriptor child : d.getChildren()) execute(runner, child, listener);
        listener.executionFinished(d, TestExecutionResult.successful());
    }

    private static TestExecutionResult run(ScenarioRunner runner, TestDescriptor test, EngineExecutionListener listener) {
        try {
            if (test instanceof EmptySelectionDescriptor e) return TestExecutionResult.failed(withoutFrames(e.why));
            if (test instanceof BrokenFileDescriptor b) return TestExecutionResult.failed(withoutFrames(b.diagnostics));
            ScenarioResult r = runner.run(((ScenarioDescriptor) test).scenario);
            if (r.error() != null) return TestExecutionResult.failed(r.error());
            listener.reportingEntryPublished(test, ReportEntry.from("mmu", r.status() + ": "
                    + r.stats().statesStored() + " states, " + r.stats().elapsedMillis() + " ms"));
            if (r.passed()) return TestExecutionResult.successful();
            return TestExecutionResult.failed(new ScenarioFailure(r));
        } catch (RuntimeException | StackOverflowError e) {
            return TestExecutionResult.failed(e);
        }
    }

    /**
     * A failure that is all message: the file's diagnostics, or why nothing was selected. Its Java
     * frames would point into the engine, and Surefire printed six of them under the diagnostics.
     */
    static AssertionFailedError withoutFrames(String message) {
        AssertionFailedError e = new AssertionFailedError(message);
        e.setStackTrace(new StackTraceElement[0]);
        return e;
    }
}
