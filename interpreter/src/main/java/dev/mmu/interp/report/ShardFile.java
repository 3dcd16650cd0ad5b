package dev.mmu.interp.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.runtime.explore.Shard;
import dev.mmu.runtime.explore.Verdict;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one part of a sharded check ({@code mmu check --shard I/N}), as `mmu merge` reads
 * it: which part, and per scenario each expectation's verdict for that part, note and trace.
 */
public final class ShardFile {
    private static final JsonFactory FACTORY = new JsonFactory();

    /** One expectation's verdict in one part. */
    public record Part(String expectation, Verdict verdict, String note, String schedule, int cycleStart, Long maximum) {}

    /** One scenario in one part; {@code outcomes} is empty when the part could not judge it (an internal fault). */
    public record Scenario(String file, String name, long statesStored, List<Part> outcomes) {}

    /** One part's file: the part, its scenarios, and the files that did not compile. */
    public record Result(Shard shard, List<Scenario> scenarios, List<String> broken) {}

    private ShardFile() {}

    /** The file name of a part: mmu-shard-I-of-N.json. */
    public static String fileName(Shard shard) {
        return "mmu-shard-" + shard.index() + "-of-" + shard.count() + ".json";
    }

    public static String render(Shard shard, RunResult run) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("shardIndex", shard.index());
            g.writeNumberField("shardCount", shard.count());
            g.writeArrayFieldStart("broken");
            for (FileResult f : run.files()) if (f.broken()) g.writeString(f.file());
            g.writeEndArray();
            g.writeArrayFieldStart("scenarios");
            for (ScenarioResult s : run.scenarios().toList()) {
                if (s.status() == ScenarioResult.Status.SKIPPED) continue;
                g.writeStartObject();
                g.writeStringField("file", s.file());
                g.writeStringField("name", s.name());
                g.writeNumberField("statesStored", s.stats() == null ? 0 : s.stats().statesStored());
                g.writeArrayFieldStart("outcomes");
                for (OutcomeResult o : s.error() != null ? List.<OutcomeResult>of() : s.outcomes()) {
                    g.writeStartObject();
                    g.writeStringField("expectation", o.text());
                    g.writeStringField("verdict", o.verdict().name());
                    g.writeStringField("note", o.note());
                    g.writeStringField("schedule", o.schedule());
                    g.writeNumberField("cycleStart", o.cycleStart());
                    if (o.maximum() == null) g.writeNullField("maximum");
                    else g.writeNumberField("maximum", o.maximum());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out + "\n";
    }

    /**
     * Reads a part's file.
     *
     * @throws IOException if it cannot be read or is not a shard result (the message says which)
     */
    public static Result read(Path file) throws IOException {
        Object json;
        try (JsonParser p = FACTORY.createParser(Files.readAllBytes(file))) {
            p.nextToken();
            json = value(p);
        } catch (IOException e) {
            throw new IOException(file + ": not a shard result (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        try {
            Map<?, ?> top = (Map<?, ?>) json;
            Shard shard = new Shard(((Number) top.get("shardIndex")).intValue(), ((Number) top.get("shardCount")).intValue());
            List<Scenario> scenarios = new ArrayList<>();
            for (Object o : (List<?>) top.get("scenarios")) {
                Map<?, ?> s = (Map<?, ?>) o;
                List<Part> parts = new ArrayList<>();
                for (Object x : (List<?>) s.get("outcomes")) {
                    Map<?, ?> m = (Map<?, ?>) x;
                    parts.add(new Part((String) m.get("expectation"), Verdict.valueOf((String) m.get("verdict")),
                            (String) m.get("note"), (String) m.get("schedule"), ((Number) m.get("cycleStart")).intValue(),
                            m.get("maximum") == null ? null : ((Number) m.get("maximum")).longValue()));
                }
                scenarios.add(new Scenario((String) s.get("file"), (String) s.get("name"),
                        ((Number) s.get("statesStored")).longValue(), parts));
            }
            List<String> broken = ((List<?>) top.get("broken")).stream().map(String.class::cast).toList();
            return new Result(shard, scenarios, broken);
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a shard result written by `mmu check --shard` (" + e.getMessage() + ")");
        }
    }

    /** A JSON value as maps, lists, strings, numbers, booleans and nulls. */
    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            Map<String, Object> m = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                m.put(name, value(p));
            }
            return m;
        }
        if (t == JsonToken.START_ARRAY) {
            List<Object> l = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) l.add(value(p));
            return l;
        }
        return switch (t) {
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected " + t);
        };
    }
}
