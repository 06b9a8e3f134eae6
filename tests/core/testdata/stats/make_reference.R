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
  if (anyNA(coef(fx))) {
    # Aliased terms (NA): refine the model R fitted, that is without them.
    keep <- !is.na(coef(fx))
    X <- model.matrix(fx)[, keep, drop = FALSE]
    yy <- model.response(model.frame(fx))
    for (k in 1:2) {
      fx <- glm(yy ~ X - 1, family = negative.binomial(1), start = unname(coef(fx)[keep]),
                control = glm.control(epsilon = 1e-16, maxit = 1000))
      names(fx$coefficients) <- colnames(X)
      keep <- rep(TRUE, ncol(X))
    }
  } else {
    for (k in 1:2) {
      fx <- glm(formula, data = d, family = negative.binomial(1), start = coef(fx),
                control = glm.control(epsilon = 1e-16, maxit = 1000))
    }
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

# Issue 14's statistics kinds (written to kinds.ref and the CSVs below).
# 1. Aliased terms: a constant predictor and one that is a sum of earlier ones. R's glm (and
#    glm.nb) pivot them out: their coefficients are NA, the rest is estimated without them,
#    and the AIC counts the estimated coefficients only.
d4 <- d1
d4$konst <- 3
d4$dup <- d4$before + d4$plan
d4 <- d4[, c("y", "before", "konst", "age", "times", "plan", "life", "dup")]
write.csv(d4, "aliased.csv", row.names = FALSE)
fa <- y ~ before + konst + age + times + plan + life + dup
nb_reference(d4, fa, "aliased")
for (term in c("konst", "dup")) {
  emit(sprintf("aliased.ml.%s.na", term), is.na(coef(glm.nb(fa, data = d4, control = ctl))[term]))
  emit(sprintf("aliased.fixed.%s.na", term),
       is.na(coef(glm(fa, data = d4, family = negative.binomial(1), control = ctl))[term]))
}

# 2. No over-dispersion: under-dispersed counts (binomial), where glm.nb's theta runs off to
#    infinity; the Poisson GLM is the fit to report.
set.seed(314)
n <- 150
d5 <- data.frame(before = rpois(n, 1.5), age = round(runif(n, 12, 60)), times = rpois(n, 2.5),
                 plan = sample(0:3, n, replace = TRUE), life = pmin(rpois(n, 3), 8))
p5 <- plogis(-1.2 + 0.3 * d5$before + 0.1 * d5$plan)
d5 <- cbind(y = rbinom(n, 3, p5), d5)
write.csv(d5, "underdispersed.csv", row.names = FALSE)
po <- glm(f5 <- y ~ before + age + times + plan + life, data = d5, family = poisson,
          control = ctl)
s <- summary(po)$coefficients
emit("underdispersed.poisson.loglik", as.numeric(logLik(po)))
emit("underdispersed.poisson.aic", AIC(po))
emit("underdispersed.var_over_mean", var(d5$y) / mean(d5$y))
th <- suppressWarnings(glm.nb(f5, data = d5, control = ctl)$theta)
emit("underdispersed.glm_nb_theta_above_1e4", th > 1e4)
for (i in seq_len(nrow(s))) {
  term <- gsub("[()]", "", rownames(s)[i])
  b <- s[i, 1]; se <- s[i, 2]
  emit(sprintf("underdispersed.poisson.%s.b", term), b)
  emit(sprintf("underdispersed.poisson.%s.se", term), se)
  emit(sprintf("underdispersed.poisson.%s.ci_low", term), b - qnorm(0.975) * se)
  emit(sprintf("underdispersed.poisson.%s.ci_high", term), b + qnorm(0.975) * se)
  emit(sprintf("underdispersed.poisson.%s.wald_chi2", term), (b / se)^2)
  emit(sprintf("underdispersed.poisson.%s.p", term), pchisq((b / se)^2, 1, lower.tail = FALSE))
  emit(sprintf("underdispersed.poisson.%s.irr", term), exp(b))
}

# 3. The Wilcoxon signed-rank p with R's defaults (wilcox.test(x, y, paired = TRUE)): exact
#    for n < 50 nonzero differences without ties or zeros, else the normal approximation with
#    continuity and tie correction. Sets: "set,before,after" rows.
set.seed(7)
wsets <- list()
wsets$exact_small <- list(b = c(5.1, 3.2, 7.7, 2.05, 6.3), a = c(4.0, 3.9, 5.0, 1.0, 2.2))
wsets$exact_12 <- list(b = round(rnorm(12, 10, 3), 2), a = round(rnorm(12, 9, 3), 2))
wsets$exact_all_positive <- list(b = 1:9 + 0.5, a = (1:9) / 10)
wsets$exact_49 <- list(b = round(rnorm(49, 5, 2), 3), a = round(rnorm(49, 5.6, 2), 3))
wsets$normal_50 <- list(b = round(rnorm(50, 5, 2), 3), a = round(rnorm(50, 5.5, 2), 3))
wsets$normal_ties <- list(b = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5), a = c(2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4))
wsets$normal_zeros <- list(b = c(1.5, 2.25, 3.0, 4.75, 5.5, 6.0, 7.125),
                           a = c(1.5, 1.0, 3.5, 2.0, 5.5, 1.0, 2.0))
wsets$equal_nonzero <- list(b = rep(3, 20), a = rep(2, 20))
wsets$equal_zero <- list(b = rep(2, 12), a = rep(2, 12))
rows <- NULL
for (name in names(wsets)) {
  w <- wsets[[name]]
  stopifnot(length(unique(abs(w$b - w$a)[w$b != w$a])) == sum(w$b != w$a) ||
              !startsWith(name, "exact"))
  rows <- rbind(rows, data.frame(set = name, before = w$b, after = w$a))
  p <- suppressWarnings(wilcox.test(w$b, w$a, paired = TRUE)$p.value)
  emit(sprintf("wilcoxon.%s.p_is_nan", name), is.nan(p))
  if (!is.nan(p)) emit(sprintf("wilcoxon.%s.p", name), p)
  m <- suppressWarnings(wilcox.test(w$b, w$a, paired = TRUE)$method)
  emit(sprintf("wilcoxon.%s.exact", name), grepl("exact", m))
  # The paired t-test: R refuses when every difference is the same.
  tt <- tryCatch(t.test(w$b, w$a, paired = TRUE), error = function(e) NULL)
  emit(sprintf("wilcoxon.%s.t_defined", name), !is.null(tt) && is.finite(tt$statistic))
  emit(sprintf("wilcoxon.%s.mean_before", name), mean(w$b))
  emit(sprintf("wilcoxon.%s.sd_before", name), sd(w$b))
  emit(sprintf("wilcoxon.%s.mean_after", name), mean(w$a))
  emit(sprintf("wilcoxon.%s.sd_after", name), sd(w$a))
  emit(sprintf("wilcoxon.%s.mean_diff", name), mean(w$b - w$a))
  if (!is.null(tt) && is.finite(tt$statistic)) {
    emit(sprintf("wilcoxon.%s.t", name), unname(tt$statistic))
    emit(sprintf("wilcoxon.%s.t_p", name), tt$p.value)
  }
}
write.csv(rows, "wilcoxon.csv", row.names = FALSE)
# psignrank itself, a few points.
for (nn in c(1, 5, 20, 49)) for (q in unique(round(c(0, nn, nn * (nn + 1) / 4, nn * (nn + 1) / 3)))) {
  emit(sprintf("psignrank.%d.%d", nn, q), psignrank(q, nn))
}

# 4. Correlations with a constant variable: R's cor is NA for every pair with it, itself
#    included.
emit("cor_constant.self_is_na", is.na(suppressWarnings(cor(d4$konst, d4$konst))))
emit("cor_constant.other_is_na", is.na(suppressWarnings(cor(d4$konst, d4$y))))

# 5. Cases 20 and 21 (../cases/2*): the default study's regression on their cohorts, computed
#    here from the CSVs (everyone first discussed on 2013-06-01; conviction counts in the year
#    before and after). Case 20: plan = goals + decisions + actions is 3 for everyone (aliased).
#    Case 21: the outcome is 1 for everyone (no over-dispersion: Poisson) and the prior count
#    2 for everyone (aliased).
case_cohort <- function(case_dir) {
  cs <- read.csv2(paste0(case_dir, "cases.csv"), stringsAsFactors = FALSE)
  cv <- read.csv2(paste0(case_dir, "convictions.csv"), stringsAsFactors = FALSE)
  ref_day <- as.Date(cs$first_discussed)
  stopifnot(all(ref_day == as.Date("2013-06-01")))
  born <- as.Date(cs$birth_date)
  conv_key <- paste(cv$surname, cv$birth_date)
  conv_day <- as.Date(cv$conviction_date)
  in_window <- function(k, from, to) sum(conv_key == k & conv_day >= from & conv_day < to)
  case_key <- paste(cs$surname, cs$birth_date)
  data.frame(
    convictions_year_after = unname(mapply(in_window, case_key, ref_day, as.Date("2014-06-01"))),
    convictions_year_before = unname(mapply(in_window, case_key, as.Date("2012-06-01"), ref_day)),
    age = as.integer(format(ref_day, "%Y")) - as.integer(format(born, "%Y")) -
      (format(ref_day, "%m%d") < format(born, "%m%d")),
    times_discussed = cs$times_discussed,
    plan = cs$goals + cs$decisions + cs$actions,
    life_domains_capped = pmin(cs$life_domains, 8))
}
fc <- convictions_year_after ~ convictions_year_before + age + times_discussed + plan +
  life_domains_capped
d6 <- case_cohort("../cases/20-constant-predictor/")
nb_reference(d6, fc, "case20")
emit("case20.ml.plan.na", is.na(coef(glm.nb(fc, data = d6, control = ctl))["plan"]))
d7 <- case_cohort("../cases/21-paired-equal-differences/")
po7 <- glm(fc, data = d7, family = poisson, control = ctl)
emit("case21.poisson.loglik", as.numeric(logLik(po7)))
emit("case21.poisson.aic", AIC(po7))
emit("case21.poisson.convictions_year_before.na", is.na(coef(po7)["convictions_year_before"]))
s7 <- summary(po7)$coefficients
for (i in seq_len(nrow(s7))) {
  term <- gsub("[()]", "", rownames(s7)[i])
  emit(sprintf("case21.poisson.%s.b", term), s7[i, 1])
  emit(sprintf("case21.poisson.%s.se", term), s7[i, 2])
}
flush_ref("kinds.ref")
