"""Airflow DAG: retrain the published model on each day's partition with SparkSubmitOperator.

Needs apache-airflow-providers-apache-spark and a Spark connection (conn id "spark_default") whose host is the cluster's
master. PERMAFROST is the checkout on the Airflow worker, built with `mvn -q -B package -DskipTests` so lib/ holds
permafrost.jar and its runtime jars. The Spark settings are conf/spark-common.conf and the target's file, as
deploy/permafrost passes them.

Airflow fails a task on any non-zero exit, and "kept the current version" (exit 3) is a decision, not a failure, so
this DAG asks retrain to exit 0 when it keeps (retrain.kept-exit-code=0); the decision is in
REGISTRY/NAME/decisions/date=YYYY-MM-DD.json either way. A re-run of a day (clear the task) changes nothing.
"""
import glob
import os
from datetime import datetime

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

PERMAFROST = os.environ.get("PERMAFROST_HOME", "/opt/permafrost")


def spark_settings(target):
    """conf/spark-common.conf, then the target's file: later lines win, as in deploy/permafrost."""
    settings = {}
    for name in ("spark-common.conf", "spark-%s.conf" % target):
        with open(os.path.join(PERMAFROST, "conf", name)) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    key, value = line.split(None, 1)
                    settings[key] = value
    return settings


with DAG(
    dag_id="permafrost_retrain",
    start_date=datetime(2026, 11, 1),
    schedule="15 2 * * *",
    catchup=False,
    max_active_runs=1,
    tags=["permafrost"],
) as dag:
    SparkSubmitOperator(
        task_id="retrain",
        conn_id="spark_default",
        application=os.path.join(PERMAFROST, "lib", "permafrost.jar"),
        java_class="dev.permafrost.cli.Main",
        jars=",".join(sorted(glob.glob(os.path.join(PERMAFROST, "lib", "runtime", "*.jar")))),
        conf=spark_settings("standalone"),
        application_args=[
            "retrain",
            "--job", os.path.join(PERMAFROST, "jobs", "retrain.conf"),
            # Airflow's logical date: the day whose partition this run trains on.
            "--partition", "date={{ ds }}",
            "retrain.kept-exit-code=0",
            # jobs/retrain.conf's paths are relative (out/models, out/daily): give the cluster's absolute URIs here.
            "retrain.registry=hdfs:///permafrost/models",
            "retrain.data-root=hdfs:///permafrost/daily",
            "retrain.holdout=hdfs:///permafrost/holdout",
        ],
    )
