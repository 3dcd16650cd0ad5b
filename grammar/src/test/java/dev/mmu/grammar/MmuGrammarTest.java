package dev.mmu.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.atn.ATNConfigSet;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.dfa.DFA;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The language relies on statements being self-delimiting (newlines are whitespace, ';' is
 * optional). These inputs place every statement form next to the ones it could run into; each
 * must parse without errors and without any ambiguity under exact ambiguity detection.
 */
class MmuGrammarTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "path p() { lock write\n kvm_flush_remote_tlbs\n unlock\n kvm_recover_nx_lpages\n x = 1 }",
        "path p() { unlock\n memslot_delete 0\n memslot_move 0 0x1000\n yield\n read 0x1000 }",
        "path p() { mmu_notifier_invalidate 0x0 .. 0x200000\n host_free 0x0 .. 0x200000; commit_zap() }",
        "path p() { lock read slots_lock\n unlock slots_lock\n lock read\n read 0x1000\n vcpu 1 exec 0x2000 }",
        "path p() { let f = false\n f |= tdp_zap_range(1, 2, flush: f, can_yield: true)\n if need_resched { commit_zap(); yield } }",
        "path p() { if a { } else if b { } else { }\n while x < 3 { break }\n repeat 2 { atomic { assert !x } } }",
        "path p() { for sp in lpage_disallowed take n { prepare_zap(sp) }\n for it in tdp_pte(root, 0 .. 512) { x = it.level } }",
        "path p() { read a + b * 2 - 1 | 4\n x = spte(0x1000).exec && tlb(0, 0x1000) || host(4K).freed }",
        "path p() { choose { read 0 } or { write 0 }\n if f && need_resched { yield } else if need_resched { }\n let r = need_resched }",
        "path p(gpa) { for x in y { }\n read gpa }",
        // the kernel's spellings, parsed so that the front end can refuse them with the fix
        "path p() { for sp in possible_nx_huge_pages take n { }\n if need_resched() { } }",
        "global x = 0 global y = true path p() { x = x + 1\n let ok = try_cmpxchg(x, o, 2)\n y = false }",
        "scenario \"s\" { expect fails always x expect fails final y expect fails reachable z expect fails terminates"
                + " expect fails max lock_hold_work <= 1 expect fails assert expect violation lockdep }",
        "@slow scenario \"s\" for vcpus in [1, 2] { vm { mmu tdp nx_huge_pages on } vcpus vcpus"
                + " memslot 0 { gpa 0 size 4M backing 2M flags dirty_log readonly } setup { vcpu 0 read 0 }"
                + " thread vcpu 0 { read 0 } thread t { kvm_mmu_zap_all_fast }"
                + " explore { preemptions <= 2 strategy bfs time 30s symmetry vcpus }"
                + " expect final stat.pages_4k == 0 expect never use_after_free expect max commit_batch <= 8 }",
    })
    void parsesWithoutErrorsOrAmbiguity(String text) {
        List<String> problems = new ArrayList<>();
        MmuParser parser = new MmuParser(new CommonTokenStream(new MmuLexer(CharStreams.fromString(text))));
        parser.removeErrorListeners();
        parser.getInterpreter().setPredictionMode(PredictionMode.LL_EXACT_AMBIG_DETECTION);
        parser.addErrorListener(new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> r, Object symbol, int line, int col, String msg, RecognitionException e) {
                problems.add(line + ":" + col + " " + msg);
            }

            @Override
            public void reportAmbiguity(Parser p, DFA dfa, int start, int stop, boolean exact, BitSet alts, ATNConfigSet configs) {
                problems.add("ambiguity in " + p.getRuleNames()[dfa.atnStartState.ruleIndex] + " at "
                        + p.getTokenStream().get(start).getText());
            }
        });

        parser.file();

        assertThat(problems).isEmpty();
    }
}
