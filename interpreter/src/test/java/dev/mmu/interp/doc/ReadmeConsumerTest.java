package dev.mmu.interp.doc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The consumer projects the invoker builds (src/it) use exactly the README's pom and suite class. */
class ReadmeConsumerTest {
    private static String block(String readme, String lang, String after) {
        int from = readme.indexOf("```" + lang + "\n", readme.indexOf(after)) + lang.length() + 4;
        return readme.substring(from, readme.indexOf("```", from));
    }

    @Test
    void theInvokerBuildsTheReadmesConsumer() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        String pom = block(readme, "xml", "a complete\n`pom.xml`")
                .replace("<version>0.1.0-SNAPSHOT</version>", "<version>@project.version@</version>");
        for (String it : new String[] {"trigger-consumer", "typo-consumer"}) {
            assertThat(Files.readString(Path.of("src/it", it, "pom.xml"))).as(it).isEqualTo(pom);
        }
        String suite = block(readme, "xml", "JUnit's standard suite form");
        assertThat(Files.readString(Path.of("src/it/suite-consumer/pom.xml")))
                .isEqualTo(pom.replace("\n  </dependencies>\n", "\n" + suite + "  </dependencies>\n"));
        assertThat(Files.readString(Path.of("src/it/trigger-consumer/src/test/java/MmuScenariosTest.java")))
                .isEqualTo(block(readme, "java", "a complete\n`pom.xml`"));
        assertThat(Files.readString(Path.of("src/it/suite-consumer/src/test/java/MmuScenariosTest.java")))
                .isEqualTo(block(readme, "java", "JUnit's standard suite form"));
    }

    /**
     * The README's pom builds offline once `mvn install` of this repository ran: it names only
     * artifacts this repository's own build resolves (it named junit-platform-suite, which none of
     * them uses, so a consumer's first build needed the network).
     */
    @Test
    void theReadmesPomNeedsOnlyWhatThisRepositorysBuildResolves() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        String pom = block(readme, "xml", "a complete\n`pom.xml`");
        StringBuilder ours = new StringBuilder();
        for (String module : new String[] {"..", "../grammar", "../runtime", ".", "../lsp", "../examples"}) {
            ours.append(Files.readString(Path.of(module, "pom.xml")));
        }
        Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(pom);
        int found = 0;
        while (m.find()) {
            if (m.group(1).equals("my-mmu-checks")) continue;
            found++;
            assertThat(ours.toString()).as(m.group(1)).contains("<artifactId>" + m.group(1) + "</artifactId>");
        }
        assertThat(found).isEqualTo(5); // junit-bom, mmu-interpreter, the resources, compiler and Surefire plugins
    }

    /**
     * Every plugin `mvn test` runs is pinned in the README's pom to the version this repository's
     * build uses: left to Maven 3.8.7's defaults, the resources plugin was 2.6, which no build of
     * this repository resolves, and `mvn -o test` of the README's consumer failed before a test ran
     * ("maven-resources-plugin:2.6 or one of its dependencies could not be resolved").
     */
    @Test
    void theReadmesPomPinsEveryPluginMvnTestRunsAtOurVersion() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        String pom = block(readme, "xml", "a complete\n`pom.xml`");
        String parent = Files.readString(Path.of("../pom.xml"));
        for (String plugin : new String[] {"maven-resources-plugin", "maven-compiler-plugin", "maven-surefire-plugin"}) {
            Matcher ours = Pattern.compile("<artifactId>" + plugin + "</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(parent);
            assertThat(ours.find()).as(plugin + " in the parent pom").isTrue();
            assertThat(pom).as(plugin).containsPattern("<artifactId>" + plugin + "</artifactId>\\s*<version>"
                    + Pattern.quote(ours.group(1)) + "</version>");
        }
    }
}
