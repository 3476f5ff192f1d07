package labs.sandwich.puck.testkit;

/**
 * Programs to run inside real sprites when a test needs state that lives only in memory, e.g.
 * to implement {@link SpriteRuntimeCompatibilityKit#startMemoryWorkload} and
 * {@link SpriteRuntimeCompatibilityKit#readMemoryWorkload} on a backend whose image has python 3.
 */
public final class Workloads {
    /**
     * A python 3 HTTP server on port 8080 whose answer to every GET is a counter held in its
     * memory: 1, 2, 3… If the count goes on after a hibernation, memory survived. Start it
     * through a shell that exits at once ({@code sh -c "nohup python3 FILE >/dev/null 2>&1 &"})
     * so it belongs to the sprite's init and is checkpointed with it.
     */
    public static final String PYTHON_COUNTER_SERVER = """
            import http.server
            n = [0]
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    n[0] += 1
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(str(n[0]).encode())
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(("", 8080), H).serve_forever()
            """;

    private Workloads() {}
}
