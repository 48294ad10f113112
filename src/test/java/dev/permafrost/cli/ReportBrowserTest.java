package dev.permafrost.cli;

import dev.permafrost.testing.CommandLine;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fine-tune's report.html opened in Debian's Chromium, headless, through its chromedriver (.ci/run installs both):
 * the page renders, the chart image decodes at its size and is drawn on screen, and the tables hold the run's rows.
 */
@Tag("slow")
class ReportBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void theReportRendersInHeadlessChromiumAndShowsTheChart(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and chromedriver are needed: apt-get install chromium chromium-driver (.ci/run does)");
        Path train = JobChainTest.csv(dir.resolve("train.csv"), 0, 480, 16);
        Path test = JobChainTest.csv(dir.resolve("test.csv"), 480, 96, 16);
        Path out = dir.resolve("run");
        List<String> args = new ArrayList<>(List.of("pretrain", "--epochs", "3", "--out", out.toString(), "--data", train.toString(),
                "--test-data", test.toString(), "data.format=csv", "--master", "local[2]", "model.inputs=16",
                "model.layers=[{name=\"pretrained.fc1\", type=dense, out=12, activation=relu},{name=\"head\", type=output, out=3, activation=softmax}]",
                "train.batch-per-worker=16"));
        CommandLine.Run run = CommandLine.run(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.out() + run.err());

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // The flags Chromium needs as root on a machine without a display or outside network.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver browser = new ChromeDriver(service, options);
        try {
            browser.get(out.resolve("report.html").toUri().toString());
            assertEquals("pretrain " + out, browser.getTitle());
            WebElement chart = browser.findElement(By.id("chart"));
            JavascriptExecutor js = browser;
            // Decoded at the size it was drawn (900 x 450) and laid out on the page.
            assertEquals(Boolean.TRUE, js.executeScript("return arguments[0].complete", chart));
            assertEquals(900L, js.executeScript("return arguments[0].naturalWidth", chart));
            assertEquals(450L, js.executeScript("return arguments[0].naturalHeight", chart));
            assertTrue(chart.isDisplayed() && chart.getSize().getWidth() > 0);
            // The chart's pixels as the browser drew them: not one flat colour.
            var shot = ImageIO.read(new ByteArrayInputStream(chart.getScreenshotAs(OutputType.BYTES)));
            java.util.Set<Integer> colours = new java.util.HashSet<>();
            for (int y = 0; y < shot.getHeight(); y += 3) for (int x = 0; x < shot.getWidth(); x += 3) colours.add(shot.getRGB(x, y));
            assertTrue(colours.size() > 20, colours.size() + " colours in the chart's screenshot");
            // One row per epoch (plus the header), and the summary names the run's accuracy.
            assertEquals(4, browser.findElements(By.cssSelector("#epochs + table tr")).size());
            String summary = browser.findElement(By.id("summary")).getText();
            assertTrue(summary.contains("3 epochs") && summary.contains("test accuracy"), summary);
            Files.write(dir.resolve("report.png"), browser.getScreenshotAs(OutputType.BYTES));
            assertTrue(new File(dir.resolve("report.png").toString()).length() > 10_000);
        } finally {
            browser.quit();
        }
    }
}
