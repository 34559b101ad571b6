// Reads "A<TAB>B" lines on stdin, prints <, = or > per line as maven-artifact's ComparableVersion orders them.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCompare {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, "UTF-8");
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.split("\t", -1);
      try {
        int r = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]));
        out.println(r < 0 ? "<" : r > 0 ? ">" : "=");
      } catch (RuntimeException e) {
        out.println("!");
      }
    }
    out.flush();
  }
}
