package dev.mmu.interp.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostic;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A loop and its goto spelling ({@code while c { B }} as {@code again: if c { B; goto again }}, a
 * continue as the goto back, a break as a goto past the loop) get the same lock errors: the
 * checker's loops and its gotos back share one fixed point, and a goto back out of a {@code while
 * true} does not leave it (Returns). Each statement that may be reported
 * carries a tag comment; errors compare as (message, tag), and against what the shape should give.
 */
class LoopGotoFormsTest {

    static List<Arguments> shapes() {
        return List.of(
                Arguments.of("retakes at the end of each pass", List.of(), """
                        path p(c: bool, d: bool) {
                          while c {
                            if d {
                              unlock  # A
                            }
                            lock write
                          }
                          unlock  # B
                        }
                        """, """
                        path p(c: bool, d: bool) {
                        again:
                          if c {
                            if d {
                              unlock  # A
                            }
                            lock write
                            goto again
                          }
                          unlock  # B
                        }
                        """),
                Arguments.of("a break holding the lock", List.of(), """
                        path p(c: bool, d: bool) {
                          while c {
                            lock write
                            if d {
                              break
                            }
                            unlock  # A
                          }
                          unlock  # B
                        }
                        """, """
                        path p(c: bool, d: bool) {
                        again:
                          if c {
                            lock write
                            if d {
                              goto out
                            }
                            unlock  # A
                            goto again
                          }
                        out:
                          unlock  # B
                        }
                        """),
                Arguments.of("a continue bringing the lock", List.of(), """
                        path p(c: bool, d: bool, e: bool) {
                          while e {
                            if d {
                              unlock  # A
                            }
                            if c {
                              lock write
                              continue
                            }
                          }
                        }
                        """, """
                        path p(c: bool, d: bool, e: bool) {
                        again:
                          if e {
                            if d {
                              unlock  # A
                            }
                            if c {
                              lock write
                              goto again
                            }
                            goto again
                          }
                        }
                        """),
                Arguments.of("every way out of an endless loop released", List.of("unlock B"), """
                        path p(c: bool) {
                          lock write
                          while true {
                            unlock  # A
                            if c {
                              break
                            }
                            lock write
                          }
                          unlock  # B
                        }
                        """, """
                        path p(c: bool) {
                          lock write
                        again:
                          unlock  # A
                          if c {
                            goto out
                          }
                          lock write
                          goto again
                        out:
                          unlock  # B
                        }
                        """),
                Arguments.of("released at the end of every pass", List.of("unlock A"), """
                        path p(c: bool) {
                          while c {
                            unlock  # A
                            lock write
                            unlock  # B
                          }
                        }
                        """, """
                        path p(c: bool) {
                        again:
                          if c {
                            unlock  # A
                            lock write
                            unlock  # B
                            goto again
                          }
                        }
                        """),
                Arguments.of("nested: the inner loop retakes, the outer releases", List.of("unlock C", "yield D"), """
                        path p(c: bool, d: bool, e: bool) {
                          while c {
                            while d {
                              if e {
                                unlock  # A
                              }
                              lock write
                            }
                            unlock  # B
                          }
                          yield  # D
                          unlock  # C
                        }
                        """, """
                        path p(c: bool, d: bool, e: bool) {
                        outer:
                          if c {
                        inner:
                            if d {
                              if e {
                                unlock  # A
                              }
                              lock write
                              goto inner
                            }
                            unlock  # B
                            goto outer
                          }
                          yield  # D
                          unlock  # C
                        }
                        """),
                Arguments.of("a goto back out of an endless loop runs it again", List.of("unreachable X"), """
                        path p(c: bool, d: bool) -> int {  # P
                        restart:
                          if d {
                            return 1
                          }
                          while true {
                            if c {
                              goto restart
                            }
                          }
                          lock write  # X
                        }
                        """, """
                        path p(c: bool, d: bool) -> int {  # P
                        restart:
                          if d {
                            return 1
                          }
                        again:
                          if c {
                            goto restart
                          }
                          goto again
                          lock write  # X
                        }
                        """),
                Arguments.of("a goto forward past an endless loop leaves it", List.of("path P"), """
                        path p(c: bool) -> int {  # P
                          while true {
                            if c {
                              goto out
                            }
                          }
                        out:
                        }
                        """, """
                        path p(c: bool) -> int {  # P
                        again:
                          if c {
                            goto out
                          }
                          goto again
                        out:
                        }
                        """),
                Arguments.of("a yield whose lock a way back brings", List.of(), """
                        path p(c: bool, d: bool) {
                          for sp in obsolete_pages {
                            yield  # A
                            if c {
                              unlock  # B
                            }
                            lock write
                          }
                        }
                        """, """
                        path p(c: bool, d: bool) {
                        again:
                          if d {
                            yield  # A
                            if c {
                              unlock  # B
                            }
                            lock write
                            goto again
                          }
                        }
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void theLoopAndItsGotoFormGiveTheSameErrors(String shape, List<String> expected, String loop, String gotos) {
        assertThat(errors(loop)).as("the loop form").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(errors(gotos)).as("the goto form").containsExactlyInAnyOrderElementsOf(expected);
    }

    /** Each error as the word that starts its message and the tag on its line. */
    private static List<String> errors(String text) {
        List<String> lines = text.lines().toList();
        return new Frontend().load("p.mmu", text).diagnostics().stream()
                .filter(Diagnostic::isError)
                .map(d -> d.message().split(" ")[0] + " " + tag(lines.get(d.pos().line() - 1)))
                .toList();
    }

    private static String tag(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? "(untagged: " + line.strip() + ")" : line.substring(hash + 1).strip();
    }
}
