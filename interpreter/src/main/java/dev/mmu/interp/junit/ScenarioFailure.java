package dev.mmu.interp.junit;

import dev.mmu.interp.report.Failures;
import dev.mmu.interp.run.ScenarioResult;
import org.opentest4j.AssertionFailedError;

/**
 * A scenario that did not pass, as a test failure: the message is one line pointing at the
 * scenario ("nx/seed.mmu:6: expect never use_after_free failed"), which Surefire repeats in its
 * summary; the full report with the trace is the cause, printed once with the failure's details.
 * Neither carries Java frames: they would point into the engine, not at the scenario.
 */
final class ScenarioFailure extends AssertionFailedError {
    ScenarioFailure(ScenarioResult r) {
        super(r.location() + ": " + Failures.message(r), new Report(Failures.details(r)));
        setStackTrace(new StackTraceElement[0]);
    }

    /** The text report, printed as it is ("Caused by: " + the report). */
    private static final class Report extends Throwable {
        Report(String text) {
            super(text, null, false, false);
        }

        @Override
        public String toString() {
            return "the scenario's report:\n" + getMessage();
        }
    }
}
