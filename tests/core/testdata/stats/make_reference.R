# Reference values for pprl's statistics, computed with R and MASS. Run from this directory:
#   Rscript make_reference.R
# Writes the data sets (*.csv) and R's results (*.ref: "name value" lines, 15 significant
# digits). The C++ tests read both, so they need no R. Convergence is set tight so that R's
# answers are the maximum-likelihood solutions to far more than the 6 digits compared.
suppressMessages(library(MASS))
options(digits = 15)
ctl <- glm.control(epsilon = 1e-12, maxit = 100)

out <- NULL
emit <- function(name, value) {
  out <<- c(out, sprintf("%s %.15g", name, value))
}
flush_ref <- function(file) {
  writeLines(out, file)
  out <<- NULL
}

nb_reference <- function(d, formula, prefix) {
  ml <- glm.nb(formula, data = d, control = ctl)
  s <- summary(ml)$coefficients
  emit(paste0(prefix, ".ml.theta"), ml$theta)
  emit(paste0(prefix, ".ml.loglik"), as.numeric(logLik(ml)))
  emit(paste0(prefix, ".ml.aic"), AIC(ml))
  emit(paste0(prefix, ".ml.n"), nrow(d))
  for (i in seq_len(nrow(s))) {
    term <- gsub("[()]", "", rownames(s)[i])
    b <- s[i, 1]; se <- s[i, 2]
    emit(sprintf("%s.ml.%s.b", prefix, term), b)
    emit(sprintf("%s.ml.%s.se", prefix, term), se)
    emit(sprintf("%s.ml.%s.ci_low", prefix, term), b - qnorm(0.975) * se)
    emit(sprintf("%s.ml.%s.ci_high", prefix, term), b + qnorm(0.975) * se)
    emit(sprintf("%s.ml.%s.wald_chi2", prefix, term), (b / se)^2)
    emit(sprintf("%s.ml.%s.p", prefix, term), pchisq((b / se)^2, 1, lower.tail = FALSE))
    emit(sprintf("%s.ml.%s.irr", prefix, term), exp(b))
  }
  # alpha fixed at 1 (theta = 1), scale fixed at 1, as SPSS GENLIN's default.
  # glm stops on a relative deviance change, which leaves coefficients ~1e-6 from the
  # optimum at epsilon 1e-12 (the deviance is flat there): refine from its own solution.
  fx <- glm(formula, data = d, family = negative.binomial(1), control = ctl)
  for (k in 1:2) {
    fx <- glm(formula, data = d, family = negative.binomial(1), start = coef(fx),
              control = glm.control(epsilon = 1e-16, maxit = 1000))
  }
  s <- summary(fx, dispersion = 1)$coefficients
  emit(paste0(prefix, ".fixed.loglik"), as.numeric(logLik(fx)))
  emit(paste0(prefix, ".fixed.aic"), -2 * as.numeric(logLik(fx)) + 2 * length(coef(fx)))
  for (i in seq_len(nrow(s))) {
    term <- gsub("[()]", "", rownames(s)[i])
    b <- s[i, 1]; se <- s[i, 2]
    emit(sprintf("%s.fixed.%s.b", prefix, term), b)
    emit(sprintf("%s.fixed.%s.se", prefix, term), se)
    emit(sprintf("%s.fixed.%s.wald_chi2", prefix, term), (b / se)^2)
    emit(sprintf("%s.fixed.%s.p", prefix, term), pchisq((b / se)^2, 1, lower.tail = FALSE))
  }
}

make_regression_data <- function(n, theta, seed, interaction = FALSE) {
  set.seed(seed)
  before <- rnbinom(n, mu = 1.2, size = 1)
  age <- round(runif(n, 12, 60))
  times <- rpois(n, 2.5)
  plan <- sample(0:3, n, replace = TRUE)
  life <- pmin(rpois(n, 3), 8)
  eta <- -2 + 0.4 * before + 0.002 * age + 0.07 * times + 0.2 * plan + 0.03 * life
  if (interaction) eta <- eta + 0.05 * before * plan
  y <- rnbinom(n, mu = exp(eta), size = theta)
  data.frame(y = y, before = before, age = age, times = times, plan = plan, life = life)
}

f <- y ~ before + age + times + plan + life
d1 <- make_regression_data(138, 1.3, 2015)          # over-dispersed, the study's size
write.csv(d1, "overdispersed.csv", row.names = FALSE)
nb_reference(d1, f, "overdispersed")
d2 <- make_regression_data(400, 12, 13)             # near-Poisson (theta about 28)
write.csv(d2, "near_poisson.csv", row.names = FALSE)
nb_reference(d2, f, "near_poisson")
d3 <- make_regression_data(300, 2, 99, interaction = TRUE)
write.csv(d3, "interaction.csv", row.names = FALSE)
nb_reference(d3, y ~ before + age + times + plan + life + before:plan, "interaction")
flush_ref("regression.ref")

# Paired tests and correlations: counts with ties and zero differences.
set.seed(2013)
n <- 195
pb <- rnbinom(n, mu = 2.9, size = 0.9)
pa <- pmax(0, pb + rnbinom(n, mu = 1, size = 1) - rnbinom(n, mu = 1.6, size = 1))
write.csv(data.frame(before = pb, after = pa), "paired.csv", row.names = FALSE)
t <- t.test(pb, pa, paired = TRUE)
emit("paired.n", n)
emit("paired.mean_before", mean(pb)); emit("paired.sd_before", sd(pb))
emit("paired.mean_after", mean(pa)); emit("paired.sd_after", sd(pa))
emit("paired.mean_diff", unname(t$estimate)); emit("paired.t", unname(t$statistic))
emit("paired.df", unname(t$parameter)); emit("paired.p", t$p.value)
emit("paired.ci_low", t$conf.int[1]); emit("paired.ci_high", t$conf.int[2])
emit("paired.wilcoxon_p", wilcox.test(pb, pa, paired = TRUE, exact = FALSE, correct = TRUE)$p.value)
emit("paired.min_before", min(pb)); emit("paired.max_before", max(pb))
vars <- d1[, c("y", "before", "age", "times", "plan", "life")]
for (a in names(vars)) for (b in names(vars)) {
  ct <- if (a == b) NULL else cor.test(vars[[a]], vars[[b]])
  emit(sprintf("cor.%s.%s.r", a, b), if (a == b) 1 else unname(ct$estimate))
  emit(sprintf("cor.%s.%s.p", a, b), if (a == b) 0 else ct$p.value)
}
flush_ref("paired.ref")

# Cluster-robust (sandwich) covariance of a group x period model, as the comparison group's
# difference-in-differences uses it: matched sets of one treated subject and up to three
# controls, each observed before and after. Checked against sandwich::vcovCL (HC0 with the
# G/(G-1) adjustment) and written out for glm.nb and Poisson fits.
suppressMessages(library(sandwich))
set.seed(88)
sets <- 120
rows <- NULL
for (g in seq_len(sets)) {
  k <- sample(1:3, 1)
  frailty <- rgamma(1, shape = 2, rate = 2)
  for (member in 0:k) {
    treated <- as.integer(member == 0)
    mu0 <- 1.5 * frailty * rgamma(1, shape = 3, rate = 3)
    for (period in 0:1) {
      mu <- mu0 * exp(0.2 * period - 0.35 * treated * period)
      rows <- rbind(rows, data.frame(y = rnbinom(1, mu = mu, size = 2), group = treated,
                                     period = period, cluster = g))
    }
  }
}
write.csv(rows, "clustered.csv", row.names = FALSE)
f <- y ~ group * period
for (model in c("nb", "poisson")) {
  fit <- if (model == "nb") glm.nb(f, data = rows, control = ctl) else
    glm(f, data = rows, family = poisson, control = ctl)
  v <- vcovCL(fit, cluster = ~cluster, type = "HC0", cadjust = TRUE)
  # The same by hand: bread (X'WX)^-1, meat from scores summed per cluster, G/(G-1).
  X <- model.matrix(fit)
  mu <- fitted(fit)
  a <- if (model == "nb") 1 / fit$theta else 0
  B <- solve(t(X) %*% (X * (mu / (1 + a * mu))))
  U <- rowsum(X * ((rows$y - mu) / (1 + a * mu)), rows$cluster)
  G <- nrow(U)
  byhand <- G / (G - 1) * B %*% crossprod(U) %*% B
  stopifnot(max(abs(byhand - v)) < 1e-10)
  if (model == "nb") emit("clustered.nb.theta", fit$theta)
  b <- coef(fit)
  for (i in seq_along(b)) {
    emit(sprintf("clustered.%s.b%d", model, i - 1), b[i])
    for (j in seq_along(b)) emit(sprintf("clustered.%s.v%d%d", model, i - 1, j - 1), v[i, j])
  }
}
flush_ref("clustered.ref")
