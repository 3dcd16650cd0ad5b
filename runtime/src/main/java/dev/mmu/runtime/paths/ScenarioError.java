package dev.mmu.runtime.paths;

/**
 * The scenario, not the model, is at fault: the setup cannot finish, or an address computed while
 * running lies in no memslot. {@code setupPc} is the setup op it stopped at, or -1 outside the setup;
 * the interpreter turns it into a diagnostic at that statement.
 */
public final class ScenarioError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int setupPc;

    public ScenarioError(String message) {
        this(message, -1);
    }

    private ScenarioError(String message, int setupPc) {
        super(message, null, false, false);
        this.setupPc = setupPc;
    }

    /** The same error, raised by the setup op at {@code pc}. */
    ScenarioError inSetup(int pc) {
        return new ScenarioError(getMessage(), pc);
    }

    static ScenarioError setup(int pc, String message) {
        return new ScenarioError(message, pc);
    }
}
