//! The parquet sink keeps the sink contract: hog-sink-conformance's checks,
//! reading the published Parquet files back as a consumer would.

use std::fs::File;

use arrow_array::{Array, Int64Array};
use hog_core::plugin::{Logger, StreamInfo};
use hog_sink_conformance::Subject;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sink_parquet::roll::Published;
use sink_parquet::ParquetSink;

struct Rolls(tempfile::TempDir, &'static str);

impl Subject for Rolls {
    type Sink = ParquetSink;

    fn start(&mut self) -> ParquetSink {
        let options = serde_json::json!({ "dir": self.0.path(), "roll_size": self.1 }).to_string();
        ParquetSink::from_options(&options, Logger::discard()).expect("the sink starts")
    }

    fn stored(&mut self, stream: &StreamInfo, _expected: usize) -> Vec<i64> {
        let dir = self.0.path().join(stream.group.as_str());
        let mut values = Vec::new();
        let mut next = 0;
        for roll in Published::all(&dir, stream.id).unwrap() {
            assert_eq!(roll.first, next, "rolls follow each other");
            next = roll.end;
            let file = dir.join(roll.name(stream.id)).join("seq.parquet");
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(file).unwrap())
                .unwrap()
                .build()
                .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let column = batch.column_by_name("value").unwrap();
                let ints = column.as_any().downcast_ref::<Int64Array>().unwrap();
                values.extend(ints.values().iter().copied());
            }
        }
        values
    }
}

#[test]
fn the_parquet_sink_keeps_the_sink_contract_with_large_rolls() {
    hog_sink_conformance::run(&mut Rolls(tempfile::tempdir().unwrap(), "64MB"));
}

#[test]
fn the_parquet_sink_keeps_the_sink_contract_rolling_every_few_transactions() {
    hog_sink_conformance::run(&mut Rolls(tempfile::tempdir().unwrap(), "100B"));
}
