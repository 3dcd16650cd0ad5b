package dev.mmu.interp.report;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import java.io.StringWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML as Ant, Surefire and CI servers write it: one testsuite per file, one testcase per
 * scenario; a failure carries the text report (trace included), an UNKNOWN is an error, a file
 * that does not compile is one failed testcase carrying its diagnostics.
 */
public final class JunitXmlReport implements Reporter {
    @Override
    public String format() {
        return "junit";
    }

    @Override
    public String fileName() {
        return "mmu-junit.xml";
    }

    @Override
    public String render(RunResult run) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuites");
            x.writeAttribute("name", "mmu");
            x.writeAttribute("tests", Long.toString(run.scenarios().count() + run.broken()));
            x.writeAttribute("failures", Long.toString(run.failed()));
            x.writeAttribute("errors", Long.toString(run.count(Status.UNKNOWN) + run.count(Status.ERROR)));
            // no "skipped" here: Jenkins's schema allows it per testsuite only
            x.writeAttribute("time", seconds(run.elapsedMillis()));
            x.writeCharacters("\n");
            String timestamp = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace("Z", "");
            int id = 0;
            for (FileResult f : run.files()) suite(x, f, id++, timestamp);
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private static void suite(XMLStreamWriter x, FileResult f, int id, String timestamp) throws XMLStreamException {
        long failures = f.scenarios().stream().filter(s -> s.status() == Status.FAIL).count() + (f.broken() ? 1 : 0);
        long time = f.scenarios().stream().filter(s -> s.stats() != null).mapToLong(s -> s.stats().elapsedMillis()).sum();
        x.writeCharacters("  ");
        x.writeStartElement("testsuite");
        x.writeAttribute("name", f.file());
        x.writeAttribute("tests", Integer.toString(f.scenarios().size() + (f.broken() ? 1 : 0)));
        x.writeAttribute("failures", Long.toString(failures));
        x.writeAttribute("errors", Long.toString(f.scenarios().stream()
                .filter(s -> s.status() == Status.UNKNOWN || s.status() == Status.ERROR).count()));
        x.writeAttribute("skipped", Long.toString(f.scenarios().stream().filter(s -> s.status() == Status.SKIPPED).count()));
        x.writeAttribute("time", seconds(time));
        x.writeAttribute("timestamp", timestamp);
        x.writeAttribute("id", Integer.toString(id));
        x.writeAttribute("file", f.file().replace('\\', '/'));
        x.writeCharacters("\n");
        String classname = f.file().replace('\\', '/');
        if (f.broken()) {
            testcase(x, "does not compile", classname, 0);
            x.writeStartElement("failure");
            x.writeAttribute("message", f.diagnosticsText().lines().findFirst().orElse("does not compile"));
            x.writeAttribute("type", "diagnostics");
            x.writeCharacters(f.diagnosticsText());
            x.writeEndElement();
            endTestcase(x);
        }
        for (ScenarioResult r : f.scenarios()) {
            testcase(x, r.name(), classname, r.stats() == null ? 0 : r.stats().elapsedMillis());
            switch (r.status()) {
                case PASS -> { }
                case SKIPPED -> {
                    x.writeStartElement("skipped");
                    x.writeAttribute("message", "not selected by --tags");
                    x.writeEndElement();
                }
                case FAIL, UNKNOWN, ERROR -> {
                    x.writeStartElement(r.status() == Status.FAIL ? "failure" : "error");
                    x.writeAttribute("message", r.location() + ": " + Failures.message(r));
                    x.writeAttribute("type", r.status().name());
                    x.writeCharacters(r.location() + "\n" + Failures.details(r));
                    x.writeEndElement();
                }
            }
            endTestcase(x);
        }
        x.writeCharacters("  ");
        x.writeEndElement();
        x.writeCharacters("\n");
    }

    private static void testcase(XMLStreamWriter x, String name, String classname, long millis) throws XMLStreamException {
        x.writeCharacters("    ");
        x.writeStartElement("testcase");
        x.writeAttribute("name", name);
        x.writeAttribute("classname", classname);
        x.writeAttribute("time", seconds(millis));
    }

    private static void endTestcase(XMLStreamWriter x) throws XMLStreamException {
        x.writeEndElement();
        x.writeCharacters("\n");
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }
}
