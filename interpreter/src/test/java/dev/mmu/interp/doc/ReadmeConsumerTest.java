package dev.mmu.interp.doc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        for (String it : new String[] {"suite-consumer", "trigger-consumer", "typo-consumer"}) {
            assertThat(Files.readString(Path.of("src/it", it, "pom.xml"))).as(it).isEqualTo(pom);
        }
        assertThat(Files.readString(Path.of("src/it/suite-consumer/src/test/java/MmuScenariosTest.java")))
                .isEqualTo(block(readme, "java", "JUnit's standard suite form"));
    }
}
