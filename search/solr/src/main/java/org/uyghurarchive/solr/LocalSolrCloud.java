package org.uyghurarchive.solr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.cloud.ZkTestServer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A SolrCloud on loopback for development and tests: Solr's own test cluster (Jetty nodes and
 * an embedded ZooKeeper in this one JVM), the archive's configset uploaded and its collection
 * created, then the addresses written to a state file for `make solr-stop` and the tests.
 *
 * <p>Usage: LocalSolrCloud STATE_FILE CONFIGSET_DIR. Settings from the environment:
 * SOLR_COLLECTION (archive), SOLR_NODES (2), SOLR_SHARDS (2), SOLR_REPLICAS (2), SOLR_PORT (the
 * first node's port, the others following it; 0: any free ports), SOLR_ZK_PORT (0: any).
 *
 * <p>The state file is written once the collection is active, and removed at shutdown. A line
 * protocol on its control port lets a test take a node away and bring it back: "stop N",
 * "start N", "shutdown"; each answers "ok ..." or "error ...".
 */
public final class LocalSolrCloud {
  private static final String CONFIGSET = "archive";

  private final MiniSolrCloudCluster cluster;
  private final ZkTestServer zk;
  private final Path state;
  private final String collection;
  private final List<JettySolrRunner> nodes = new ArrayList<>();
  private final int[] ports;
  private ServerSocket control;

  private LocalSolrCloud(MiniSolrCloudCluster cluster, ZkTestServer zk, Path state, String collection, int[] ports) {
    this.cluster = cluster;
    this.zk = zk;
    this.state = state;
    this.collection = collection;
    this.ports = ports;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: LocalSolrCloud STATE_FILE CONFIGSET_DIR");
      System.exit(2);
    }
    Path state = Path.of(args[0]).toAbsolutePath();
    Path configset = Path.of(args[1]).toAbsolutePath();
    String collection = setting("SOLR_COLLECTION", "archive");
    int nodeCount = Integer.parseInt(setting("SOLR_NODES", "2"));
    int shards = Integer.parseInt(setting("SOLR_SHARDS", "2"));
    int replicas = Integer.parseInt(setting("SOLR_REPLICAS", "2"));
    int firstPort = Integer.parseInt(setting("SOLR_PORT", "0"));
    int zkPort = Integer.parseInt(setting("SOLR_ZK_PORT", "0"));

    // A new cluster each start: the index is rebuilt from the database (`rebuild_index`).
    Path base = state.getParent().resolve("cluster");
    deleteTree(base);
    Files.createDirectories(base.resolve("zookeeper"));
    Files.deleteIfExists(state);

    ZkTestServer zk = new ZkTestServer(base.resolve("zookeeper"), zkPort);
    zk.run(false);
    // No node at first: each is started below on its own port.
    MiniSolrCloudCluster cluster =
        new MiniSolrCloudCluster(
            0, base, MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML, jettyConfig(0), zk, true);
    int[] ports = new int[nodeCount];
    for (int i = 0; i < nodeCount; i++) {
      ports[i] = firstPort == 0 ? 0 : firstPort + i;
    }
    LocalSolrCloud cloud = new LocalSolrCloud(cluster, zk, state, collection, ports);
    Runtime.getRuntime().addShutdownHook(new Thread(cloud::shutdown, "shutdown"));
    cloud.start(configset, shards, replicas);
    cloud.serveControl();
  }

  private static JettyConfig jettyConfig(int port) {
    return JettyConfig.builder().setPort(port).stopAtShutdown(true).build();
  }

  private void start(Path configset, int shards, int replicas) throws Exception {
    for (int i = 0; i < ports.length; i++) {
      JettySolrRunner node = cluster.startJettySolrRunner("node" + i, "/solr", jettyConfig(ports[i]));
      nodes.add(node);
      ports[i] = node.getLocalPort(); // kept, so a node stopped and started comes back there
    }
    cluster.waitForAllNodes(60);
    cluster.uploadConfigSet(configset, CONFIGSET);
    CollectionAdminRequest.createCollection(collection, CONFIGSET, shards, replicas)
        .process(cluster.getSolrClient());
    cluster.waitForActiveCollection(collection, 120, TimeUnit.SECONDS, shards, shards * replicas);
    control = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    writeState();
    System.out.println(describe());
  }

  private String nodeUrl(int i) {
    return "http://127.0.0.1:" + ports[i] + "/solr";
  }

  /** The archive's setting for this cluster: every node, so that any one of them may answer. */
  private String searchUrl() {
    StringBuilder hosts = new StringBuilder();
    for (int i = 0; i < ports.length; i++) {
      hosts.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports[i]);
    }
    return "solr://" + hosts + "/solr/" + collection;
  }

  private String describe() {
    StringBuilder text = new StringBuilder("SolrCloud ready, collection " + collection + ":\n");
    for (int i = 0; i < ports.length; i++) {
      text.append("  node ").append(i).append(": ").append(nodeUrl(i)).append('\n');
    }
    text.append("  ZooKeeper: ").append(zk.getZkHost()).append('\n');
    text.append("  SEARCH_URL=").append(searchUrl());
    return text.toString();
  }

  /** The addresses as JSON, written whole (renamed into place) so a reader never sees half. */
  private void writeState() throws Exception {
    StringBuilder json = new StringBuilder("{\n");
    json.append("  \"pid\": ").append(ProcessHandle.current().pid()).append(",\n");
    json.append("  \"collection\": \"").append(collection).append("\",\n");
    json.append("  \"nodes\": [");
    for (int i = 0; i < ports.length; i++) {
      json.append(i == 0 ? "" : ", ").append('"').append(nodeUrl(i)).append('"');
    }
    json.append("],\n");
    json.append("  \"zk_host\": \"").append(zk.getZkHost()).append("\",\n");
    json.append("  \"search_url\": \"").append(searchUrl()).append("\",\n");
    json.append("  \"control_port\": ").append(control.getLocalPort()).append("\n}\n");
    Path partial = state.resolveSibling(state.getFileName() + ".partial");
    Files.writeString(partial, json.toString(), StandardCharsets.UTF_8);
    Files.move(partial, state, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private void serveControl() throws Exception {
    while (!control.isClosed()) {
      try (Socket client = control.accept();
          BufferedReader in =
              new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
          PrintWriter out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8)) {
        String line = in.readLine();
        if (line == null) {
          continue;
        }
        String[] words = line.trim().split("\\s+");
        try {
          if (words[0].equals("shutdown")) {
            out.println("ok shutting down");
            System.exit(0);
          } else if (words.length == 2 && words[0].equals("stop")) {
            JettySolrRunner node = nodes.get(Integer.parseInt(words[1]));
            cluster.stopJettySolrRunner(node);
            cluster.waitForJettyToStop(node);
            out.println("ok stopped " + words[1]);
          } else if (words.length == 2 && words[0].equals("start")) {
            int i = Integer.parseInt(words[1]);
            JettySolrRunner node = nodes.get(i);
            if (!node.isRunning()) {
              cluster.startJettySolrRunner(node, true);
            }
            cluster.waitForNode(node, 60);
            cluster.waitForActiveCollection(collection, 120, TimeUnit.SECONDS);
            out.println("ok started " + i);
          } else {
            out.println("error unknown command: " + line);
          }
        } catch (Exception e) {
          out.println("error " + e);
        }
      } catch (java.net.SocketException closed) {
        return;
      }
    }
  }

  private void shutdown() {
    try {
      Files.deleteIfExists(state);
      if (control != null) {
        control.close();
      }
      cluster.shutdown(); // the nodes, then the ZooKeeper server it was given
    } catch (Exception e) {
      System.err.println("shutdown: " + e);
    }
  }

  private static String setting(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  private static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
