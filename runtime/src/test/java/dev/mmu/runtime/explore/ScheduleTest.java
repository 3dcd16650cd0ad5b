package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleTest {

    @Test
    void formatsChoiceOnlyWhenNotZero() {
        Schedule s = new Schedule(List.of(new Schedule.Step(0, 0), new Schedule.Step(0, 0),
                new Schedule.Step(1, 1), new Schedule.Step(2, 0)));
        assertThat(s.token()).isEqualTo("0.0.1:1.2");
    }

    @Test
    void parseThenFormatRoundTrips() {
        Schedule s = Schedule.parse("0.0.1:1.2.10:3");
        assertThat(s.length()).isEqualTo(5);
        assertThat(s.get(2)).isEqualTo(new Schedule.Step(1, 1));
        assertThat(s.get(4)).isEqualTo(new Schedule.Step(10, 3));
        assertThat(Schedule.parse(s.token())).isEqualTo(s);
        assertThat(s.token()).isEqualTo("0.0.1:1.2.10:3");
    }

    @Test
    void emptyTokenIsTheEmptySchedule() {
        assertThat(Schedule.parse("").length()).isZero();
        assertThat(Schedule.empty().token()).isEmpty();
    }

    @Test
    void explicitZeroChoiceParsesToTheSameStep() {
        assertThat(Schedule.parse("1:0")).isEqualTo(Schedule.parse("1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0..1", "a", "1:-1", "1:", ":1", "0.1.", "-1", "+1", "1:2:3"})
    void rejectsMalformedTokensNamingTheStep(String token) {
        assertThatThrownBy(() -> Schedule.parse(token))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad step")
                .hasMessageContaining("THREAD or THREAD:CHOICE");
    }

    @Test
    void badStepMessageGivesItsPosition() {
        assertThatThrownBy(() -> Schedule.parse("0.1.x.2"))
                .hasMessageContaining("'x' at position 3");
    }

    @Test
    void sliceAndConcat() {
        Schedule s = Schedule.parse("0.1.2.3");
        assertThat(s.slice(1, 3).token()).isEqualTo("1.2");
        assertThat(s.slice(0, 1).concat(s.slice(3, 4)).token()).isEqualTo("0.3");
    }
}
