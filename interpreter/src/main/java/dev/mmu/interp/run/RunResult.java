package dev.mmu.interp.run;

import dev.mmu.interp.run.ScenarioResult.Status;
import java.util.List;
import java.util.stream.Stream;

/** Every file of one `mmu test` or `mmu check` run, in the order given, and the wall time. */
public record RunResult(List<FileResult> files, long elapsedMillis) {
    public RunResult {
        files = List.copyOf(files);
    }

    public Stream<ScenarioResult> scenarios() {
        return files.stream().flatMap(f -> f.scenarios().stream());
    }

    public long count(Status status) {
        return scenarios().filter(s -> s.status() == status).count();
    }

    public long broken() {
        return files.stream().filter(FileResult::broken).count();
    }

    /** Failed scenarios plus files that did not compile (each counts as one failed test). */
    public long failed() {
        return count(Status.FAIL) + broken();
    }

    /** "N passed, N failed[, N skipped][, N unknown][, N errors]": the line CI and people read. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(count(Status.PASS)).append(" passed, ").append(failed()).append(" failed");
        if (count(Status.SKIPPED) > 0) b.append(", ").append(count(Status.SKIPPED)).append(" skipped");
        if (count(Status.UNKNOWN) > 0) b.append(", ").append(count(Status.UNKNOWN)).append(" unknown");
        if (count(Status.ERROR) > 0) b.append(", ").append(count(Status.ERROR)).append(count(Status.ERROR) == 1 ? " error" : " errors");
        return b.toString();
    }
}
