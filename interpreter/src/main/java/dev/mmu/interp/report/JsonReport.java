package dev.mmu.interp.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioResult.Step;
import dev.mmu.runtime.explore.Stats;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** Verdicts, figures and traces as JSON, in the shape docs/report-schema.json documents. */
public final class JsonReport implements Reporter {
    /** Bumped when a field changes meaning or goes away (adding one does not). */
    public static final int SCHEMA_VERSION = 1;

    private static final JsonFactory FACTORY = new JsonFactory();

    @Override
    public String format() {
        return "json";
    }

    @Override
    public String fileName() {
        return "mmu-report.json";
    }

    @Override
    public String render(RunResult run) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("schemaVersion", SCHEMA_VERSION);
            g.writeObjectFieldStart("summary");
            g.writeNumberField("passed", run.count(Status.PASS));
            g.writeNumberField("failed", run.failed());
            g.writeNumberField("skipped", run.count(Status.SKIPPED));
            g.writeNumberField("unknown", run.count(Status.UNKNOWN));
            g.writeNumberField("errors", run.count(Status.ERROR));
            g.writeNumberField("elapsedMillis", run.elapsedMillis());
            g.writeStringField("line", run.summary());
            g.writeEndObject();
            g.writeArrayFieldStart("files");
            for (FileResult f : run.files()) file(g, f);
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out + "\n";
    }

    private static void file(JsonGenerator g, FileResult f) throws IOException {
        g.writeStartObject();
        g.writeStringField("file", f.file());
        g.writeBooleanField("compiled", !f.broken());
        g.writeArrayFieldStart("diagnostics");
        for (Diagnostic d : f.diagnostics()) {
            g.writeStartObject();
            g.writeStringField("file", d.pos().file());
            g.writeNumberField("line", d.pos().line());
            g.writeNumberField("column", d.pos().column());
            g.writeStringField("severity", d.severity().label());
            g.writeStringField("message", d.message());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("scenarios");
        for (ScenarioResult r : f.scenarios()) scenario(g, r);
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void scenario(JsonGenerator g, ScenarioResult r) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", r.name());
        g.writeStringField("file", r.file());
        g.writeNumberField("line", r.line());
        g.writeNumberField("column", r.column());
        g.writeArrayFieldStart("tags");
        for (String t : r.tags()) g.writeString(t);
        g.writeEndArray();
        g.writeStringField("status", r.status().name());
        g.writeArrayFieldStart("threads");
        for (String t : r.threads()) g.writeString(t);
        g.writeEndArray();
        if (r.coverage() == null) g.writeNullField("coverage");
        else g.writeStringField("coverage", r.coverage());
        if (r.error() == null) g.writeNullField("error");
        else g.writeStringField("error", r.errorText());
        Stats s = r.stats();
        if (s == null) {
            g.writeNullField("stats");
        } else {
            g.writeObjectFieldStart("stats");
            g.writeNumberField("statesStored", s.statesStored());
            g.writeNumberField("transitions", s.transitions());
            g.writeNumberField("maxDepth", s.maxDepth());
            g.writeNumberField("elapsedMillis", s.elapsedMillis());
            g.writeNumberField("statesPerSecond", Double.isFinite(s.statesPerSecond()) ? s.statesPerSecond() : 0);
            g.writeNumberField("approxBytesPerState", s.approxBytesPerState());
            g.writeNumberField("peakHeapBytes", s.peakHeapBytes());
            g.writeEndObject();
        }
        g.writeArrayFieldStart("outcomes");
        for (OutcomeResult o : r.outcomes()) outcome(g, r, o);
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void event(JsonGenerator g, StepEvent e, int repeat) throws IOException {
        g.writeStartObject();
        g.writeStringField("kind", e.kind());
        if (e.function() != null) g.writeStringField("function", e.function());
        for (var f : e.fields().entrySet()) {
            if (f.getValue() instanceof Number n) g.writeNumberField(f.getKey(), n.longValue());
            else g.writeStringField(f.getKey(), f.getValue().toString());
        }
        g.writeStringField("text", e.text());
        if (repeat > 1) g.writeNumberField("repeat", repeat);
        g.writeEndObject();
    }

    private static void outcome(JsonGenerator g, ScenarioResult r, OutcomeResult o) throws IOException {
        g.writeStartObject();
        g.writeStringField("expectation", o.text());
        g.writeStringField("verdict", o.verdict().name());
        g.writeStringField("note", o.note());
        if (o.maximum() == null) g.writeNullField("maximum");
        else g.writeNumberField("maximum", o.maximum());
        if (!o.showsTrace()) {
            g.writeNullField("trace");
        } else {
            g.writeObjectFieldStart("trace");
            g.writeStringField("kind", o.traceKind());
            g.writeStringField("schedule", o.schedule());
            g.writeNumberField("cycleStart", o.cycleStart());
            g.writeArrayFieldStart("steps");
            int i = 0;
            for (Step st : o.steps()) {
                g.writeStartObject();
                g.writeNumberField("step", ++i);
                g.writeNumberField("thread", st.thread());
                g.writeStringField("threadName", r.threads().get(st.thread()));
                // A run of the same clause is one event with its count, and "(x N)" in the text, as the
                // text report prints it (a spinning loop's step noted one clause 21,846 times).
                g.writeStringField("text", ClauseRuns.collapse(st.text()));
                g.writeArrayFieldStart("events");
                for (ClauseRuns.Run run : ClauseRuns.of(java.util.Arrays.asList(st.text().split("; ")))) {
                    if (!run.clause().isBlank()) event(g, StepEvent.parse(run.clause().strip()), run.count());
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndObject();
    }
}
