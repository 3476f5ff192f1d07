package labs.sandwich.puck.api;

import java.util.List;

/**
 * How to open an interactive console.
 *
 * @param argv    the program to run on the terminal, by default a login shell
 * @param columns initial terminal width, 1 to 1000
 * @param rows    initial terminal height, 1 to 1000
 */
public record ConsoleRequest(List<String> argv, int columns, int rows) {
    /** A login shell on an 80×24 terminal. */
    public static final ConsoleRequest DEFAULT = new ConsoleRequest(List.of("/bin/bash", "-l"), 80, 24);

    /** Validates. */
    public ConsoleRequest {
        argv = ExecRequest.requireArgv(argv);
        if (columns < 1 || columns > 1000 || rows < 1 || rows > 1000) {
            throw new InvalidSpecException("console", "Invalid terminal size " + columns + "x" + rows + ".", "Use 1 to 1000 columns and rows.");
        }
    }

    /**
     * @param columns width
     * @param rows    height
     * @return a copy with that terminal size
     */
    public ConsoleRequest withSize(int columns, int rows) {
        return new ConsoleRequest(argv, columns, rows);
    }
}
