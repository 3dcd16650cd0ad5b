package dev.mmu.runtime.paths;

/**
 * The scenario, not the model, is at fault: the setup cannot finish, or an address computed while
 * running lies in no memslot. {@code setupPc} is the setup op it stopped at, or -1 outside the setup;
 * {@code thread} and {@code threadPc} the thread's op while exploring; the interpreter turns either
 * into a diagnostic at that statement.
 */
public final class ScenarioError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int setupPc;
    /** The thread whose step raised it while exploring, or -1 (the setup, or not known). */
    public final int thread;
    /** The op of {@link #thread} it stopped at, so that the error points at its statement; -1 if none. */
    public final int threadPc;

    public ScenarioError(String message) {
        this(message, -1);
    }

    private ScenarioError(String message, int setupPc) {
        this(message, setupPc, -1, -1);
    }

    private ScenarioError(String message, int setupPc, int thread, int threadPc) {
        super(message, null, false, false);
        this.setupPc = setupPc;
        this.thread = thread;
        this.threadPc = threadPc;
    }

    /** The same error, raised by the setup op at {@code pc}. */
    ScenarioError inSetup(int pc) {
        return new ScenarioError(getMessage(), pc);
    }

    /** The same error, raised by thread {@code t}'s op at {@code pc}; the innermost such op is kept. */
    ScenarioError inThread(int t, int pc) {
        return thread >= 0 ? this : new ScenarioError(getMessage(), setupPc, t, pc);
    }

    static ScenarioError setup(int pc, String message) {
        return new ScenarioError(message, pc);
    }
}
